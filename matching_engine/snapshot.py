"""Durable snapshots of a market: its state plus the last input entry ID it covers.

Format (msgpack map, versioned): {"v": 1, "symbol": str, "last_id": "ms-seq",
"processed": int, "market": Market.to_snapshot()}; a futures margin group has
"group": MarginGroup.to_snapshot() instead of "market". A snapshot is written only after
every output up to `last_id` is in the output stream, so restart = load it and replay
the input stream after `last_id`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import msgpack
import redis
from redis.cluster import RedisCluster

from .futures.engine import MarginGroup
from .market import Market
from .protocol import snapshot_key

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Snapshot:
    last_id: str
    processed: int
    market: Market | MarginGroup

    def encode(self) -> bytes:
        key = "group" if isinstance(self.market, MarginGroup) else "market"
        blob: bytes = msgpack.packb(
            {
                "v": FORMAT_VERSION,
                "symbol": self.market.symbol,
                "last_id": self.last_id,
                "processed": self.processed,
                key: self.market.to_snapshot(),
            }
        )
        return blob

    @classmethod
    def decode(cls, blob: bytes) -> Snapshot:
        data: dict[str, Any] = msgpack.unpackb(blob, strict_map_key=False)
        if data.get("v") != FORMAT_VERSION:
            raise ValueError(f"unsupported snapshot format {data.get('v')!r}")
        if "group" in data:
            group = MarginGroup.from_snapshot(data["group"])
            return cls(data["last_id"], data["processed"], group)
        return cls(data["last_id"], data["processed"], Market.from_snapshot(data["market"]))


class SnapshotStore(Protocol):
    def load(self, symbol: str) -> Snapshot | None: ...

    def save(self, snapshot: Snapshot) -> None: ...


class RedisSnapshotStore:
    """Keep the snapshot in `me:{SYMBOL}:snapshot`, next to the streams (same hash slot)."""

    def __init__(self, client: redis.Redis | RedisCluster) -> None:
        self._client = client

    def load(self, symbol: str) -> Snapshot | None:
        blob = self._client.get(snapshot_key(symbol))
        if blob is None:
            return None
        assert isinstance(blob, bytes)
        return Snapshot.decode(blob)

    def save(self, snapshot: Snapshot) -> None:
        self._client.set(snapshot_key(snapshot.market.symbol), snapshot.encode())


class FileSnapshotStore:
    """Keep the snapshot in `<dir>/<SYMBOL>.snapshot`, replaced atomically (rename)."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        directory.mkdir(parents=True, exist_ok=True)

    def _path(self, symbol: str) -> Path:
        return self._dir / f"{symbol}.snapshot"

    def load(self, symbol: str) -> Snapshot | None:
        try:
            blob = self._path(symbol).read_bytes()
        except FileNotFoundError:
            return None
        return Snapshot.decode(blob)

    def save(self, snapshot: Snapshot) -> None:
        path = self._path(snapshot.market.symbol)
        fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(snapshot.encode())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self._dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)
