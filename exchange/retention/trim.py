"""Trim each market's Redis streams below the lowest position anyone still needs.

Nothing trimmed the streams, so Redis memory grew with every command ever sent.
Who reads what, and from where a restart reads again:

* input ``me:{SYMBOL}:in``: the engine, which restarts from its last durable
  snapshot and replays the input after it (``snapshot_id`` in its stats hash),
  and any hot standby, which reads on from where it is (``me:{SYMBOL}:standby``,
  refreshed ten times a second; a position older than ``STANDBY_STALE_MS`` is a
  dead standby's and is dropped: restarted, it starts from the snapshot);
* output ``me:{SYMBOL}:out``: the engine too (a restart compares its replayed
  outputs with the stored ones, after the snapshot), clearing (after its
  checkpoint row in the database) and market data (after the state it saved in
  Redis; with none saved it replays the whole stream, so nothing is trimmed);
* a futures margin group's output ``me:{GROUP}:out``: the engine, futures
  clearing (its checkpoint row), futures market data (``fmd:{GROUP}:state``)
  and the price feed's books (``pf:{GROUP}:books``), each saved in Redis.

A stream is trimmed with ``XTRIM MINID`` at the lowest of its readers' positions:
the entry at that position stays (so the stream is never emptied under a
reader) and every entry below it goes. A reader whose position is unknown
blocks trimming of that stream: the trimmer never guesses.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from exchange.clearing.futures.runner import checkpoint_key
from exchange.clearing.models import Checkpoint
from exchange.core.reader_positions import saved_books_position
from exchange.core.redis import get_redis
from exchange.core.stream_report import write_stream_report
from exchange.futures.models import Contract
from exchange.marketdata.futures_feed import saved_group_position
from exchange.marketdata.state_store import saved_position
from exchange.markets.models import Market
from matching_client import (
    input_stream,
    input_trimmed_key,
    output_stream,
    parse_entry_id,
    standby_key,
    stats_key,
)

NOTHING = "0-0"
STANDBY_STALE_MS = 5000


@dataclass(frozen=True)
class StreamTrim:
    """One stream's trim: who needs what, where it was cut, what is left."""

    stream: str
    needs: dict[str, str | None]  # reader -> the entry it restarts after (None: unknown)
    trimmed_below: str | None  # None: not trimmed (a reader's position is unknown)
    deleted: int
    length: int


def engine_snapshot_id(symbol: str) -> str | None:
    """The input ID the engine's last durable snapshot covers (from its stats hash)."""
    raw: Any = get_redis().hget(stats_key(symbol), "snapshot_id")
    return raw.decode() if raw else None


def standby_position(symbol: str) -> str | None:
    """The lowest input position of the live standbys; None when none is running."""
    client = get_redis()
    raw: Any = client.hgetall(standby_key(symbol))
    now_ms = int(time.time() * 1000)
    live: list[tuple[bytes, str]] = []
    dead: list[tuple[bytes, str]] = []
    for token, value in raw.items():
        position, _, at_ms = value.decode().partition("|")
        (live if now_ms - int(at_ms) < STANDBY_STALE_MS else dead).append((token, position))
    if dead:
        client.hdel(standby_key(symbol), *[token for token, _ in dead])
    return min((p for _, p in live), key=parse_entry_id) if live else None


def clearing_position(symbol: str) -> str | None:
    last = Checkpoint.objects.filter(symbol=symbol).values_list("last_entry_id", flat=True).first()
    return last if last and last != NOTHING else None


def lowest(needs: dict[str, str | None]) -> str | None:
    """The lowest position, or None when any reader's position is unknown."""
    if any(position is None for position in needs.values()):
        return None
    return min((position for position in needs.values() if position), key=parse_entry_id)


def trim_stream(stream: str, needs: dict[str, str | None]) -> StreamTrim:
    client = get_redis()
    floor = lowest(needs)
    deleted = int(client.xtrim(stream, minid=floor, approximate=False)) if floor else 0
    return StreamTrim(stream, needs, floor, deleted, int(client.xlen(stream)))


def trim_input(symbol: str, snapshot: str | None) -> StreamTrim:
    """Trim an engine's input below its snapshot and any live standby's position."""
    needs = {"engine": snapshot}
    standby = standby_position(symbol)
    if standby is not None:
        needs["standby"] = standby
    trimmed = trim_stream(input_stream(symbol), needs)
    if trimmed.deleted:
        # An engine that lost its snapshot must not replay this stream from its start.
        get_redis().set(input_trimmed_key(symbol), trimmed.trimmed_below or "")
    return trimmed


def trim_market(symbol: str) -> list[StreamTrim]:
    """Trim one market's input and output streams; the input first (the engine's need)."""
    snapshot = engine_snapshot_id(symbol)
    return [
        trim_input(symbol, snapshot),
        trim_stream(
            output_stream(symbol),
            {
                "engine": snapshot,
                "clearing": clearing_position(symbol),
                "marketdata": saved_position(symbol),
            },
        ),
    ]


def trim_margin_group(group: str) -> list[StreamTrim]:
    """Trim a futures margin group's input as a market's, its output below every reader."""
    snapshot = engine_snapshot_id(group)
    return [
        trim_input(group, snapshot),
        trim_stream(
            output_stream(group),
            {
                "engine": snapshot,
                "clearing": clearing_position(checkpoint_key(group)),
                "marketdata": saved_group_position(group),
                "pricefeed": saved_books_position(group),
            },
        ),
    ]


def trim_streams() -> list[StreamTrim]:
    """Trim every market's and margin group's streams; publish the report ``/healthz`` shows."""
    groups = Contract.objects.values_list("margin_asset__code", flat=True).distinct()
    trims = [
        trim
        for symbol in Market.objects.order_by("symbol").values_list("symbol", flat=True)
        for trim in trim_market(symbol)
    ] + [trim for group in sorted(set(groups)) for trim in trim_margin_group(group)]
    write_stream_report(
        {
            "at_ms": int(time.time() * 1000),
            "streams": {trim.stream: asdict(trim) for trim in trims},
        }
    )
    return trims
