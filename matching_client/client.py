"""Send commands to a market's input stream; read its output stream through a consumer group.

Give these classes a redis-py client created with `decode_responses=False` (the default):
`redis.Redis` for a single server, `redis.cluster.RedisCluster` for a cluster. Every
call touches the keys of exactly one market (or only the market registry), so both
work the same.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis
from redis.cluster import RedisCluster
from redis.sentinel import SentinelManagedConnection

from matching_engine.protocol import FIELD, MARKETS_KEY, input_stream, output_stream, stats_key

from .commands import Command
from .entry_ids import stream_entries
from .events import OutputEntry, decode_output
from .futures import FuturesCommand

Client = redis.Redis | RedisCluster


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class _OwnConnections(threading.local):
    """This thread's connections, one per server pool, made as the pool makes its own."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.connections: dict[redis.ConnectionPool, Any] = {}

    def of(self, pool: redis.ConnectionPool) -> Any:
        """The connection to ``pool``'s server (new ones after a fork)."""
        if self.pid != os.getpid():
            self.pid, self.connections = os.getpid(), {}
        connection = self.connections.get(pool)
        if connection is None:
            connection = self.connections[pool] = pool.connection_class(**pool.connection_kwargs)
        return connection


_own = _OwnConnections()


class ReplicaAckTimeout(redis.RedisError):
    """The primary appended the commands but fewer replicas than required confirmed them.

    The commands are in the primary's stream and the engine will act on them, but a
    failover before the replicas catch up could lose them. Senders treat this like an
    append that failed: the change is durable in the database and the sweeper re-sends
    it (the engine answers a PLACE it already knows with DUPLICATE).
    """

    def __init__(self, entry_ids: list[str], acked: int, required: int) -> None:
        super().__init__(
            f"{len(entry_ids)} command(s) appended but confirmed by {acked} of "
            f"{required} replicas in time"
        )
        self.entry_ids, self.acked, self.required = entry_ids, acked, required


def _append(
    pool: redis.ConnectionPool, key: str, payload: bytes, wait: tuple[int, int] | None
) -> tuple[Any, Any]:
    """XADD ``payload`` to ``key`` on this thread's own connection.

    Returns (entry ID, None), or with ``wait = (replicas, timeout ms)`` (entry ID, the
    reply of a WAIT sent in the same write: how many replicas confirmed it).

    The client's ``xadd`` costs ~4x the socket round trip in client CPU: it borrows
    a connection from the pool (a lock and a poll of the socket each time), wraps the
    call in retry and metrics, and gives the connection back. This connection stays
    with the thread (one per server; new ones after a fork). A connection the
    server dropped while idle is reopened and the XADD sent once more: the server
    never read the first. A timeout is not retried (the first XADD may have been
    appended; a second CANCEL_ALL could cancel an order placed in between), nor is
    a server still loading its data more than once: the caller logs the failure
    and the sweeper re-sends. One command is packed alone (``pack_command``; order
    entry sends one per order), an XADD and its WAIT together (``pack_commands``);
    an XADD refused (e.g. MOVED) is raised once the WAIT's reply is read too.
    """
    connection = _own.of(pool)
    if wait is None:
        packed = connection.pack_command("XADD", key, "*", FIELD, payload)
    else:
        packed = connection.pack_commands([("XADD", key, "*", FIELD, payload), ("WAIT", *wait)])
    try:
        entry_id = _send(connection, packed)
    except redis.ResponseError:
        if wait is not None:
            connection.read_response()  # the WAIT's reply: the connection stays in step
        raise
    return entry_id, connection.read_response() if wait is not None else None


def _send(connection: Any, packed: list[bytes]) -> Any:
    """Send ``packed`` and read the first reply, once more on a connection the server
    had dropped while idle (it never read the first).

    A closed Sentinel-managed connection is reopened with its own ``connect()``:
    sending would reconnect to the address it holds, where it must ask the sentinels
    for the current primary. A plain connection reopens itself on send (``connect()``
    is a no-op while connected, through redis-py's retry machinery).
    """
    sentinel = isinstance(connection, SentinelManagedConnection)
    try:
        if sentinel:
            connection.connect()
        connection.send_packed_command(packed)
        return connection.read_response()
    except redis.ConnectionError:
        connection.disconnect()
        if sentinel:
            connection.connect()
        connection.send_packed_command(packed)
        return connection.read_response()


def unparsed_stream_client(client: Client) -> Client:
    """A client whose XREAD replies are left as the server sends them (read with `stream_fields`).

    redis-py turns each entry of an XREAD reply into a tuple and a dict, which
    costs more than decoding the entry for a reader of thousands of entries. On
    a single Redis this is a client on the same connection pool without that
    reply callback; a cluster client parses in its node clients and is returned
    as it is (`stream_fields` reads both).
    """
    if isinstance(client, RedisCluster):
        return client
    own = redis.Redis(connection_pool=client.connection_pool)
    own.response_callbacks.pop("XREAD", None)
    return own


class MatchingClient:
    """Append commands to the matching cluster's input streams.

    With ``min_replicas`` > 0 every append is followed by ``WAIT min_replicas timeout``
    on the same connection and raises `ReplicaAckTimeout` when fewer replicas confirmed
    it in time, so a command reported as sent survives a failover to a replica. On a
    Redis Cluster the XADD and its WAIT go to the primary of the stream's slot (WAIT
    counts the writes of its own connection, so redis-py's cluster routing, which
    sends each command where it likes, cannot carry it); a redirect or a dropped node
    is raised like any failed append after the slot map is read again.
    """

    def __init__(
        self, client: Client, *, min_replicas: int = 0, replica_timeout_ms: int = 500
    ) -> None:
        self._redis = client
        self._wait = (min_replicas, replica_timeout_ms) if min_replicas > 0 else None

    def _check_acked(self, entry_ids: list[str], acked: Any) -> None:
        if self._wait is not None and int(acked) < self._wait[0]:
            raise ReplicaAckTimeout(entry_ids, int(acked), self._wait[0])

    def _node(self, key: str) -> redis.Redis:
        """The client of the Cluster primary that holds ``key``."""
        assert isinstance(self._redis, RedisCluster)
        node = self._redis.get_node_from_key(key)  # type: ignore[no-untyped-call]
        connection: redis.Redis = node.redis_connection
        return connection

    @contextmanager
    def _slot_map_refreshed_on_error(self) -> Iterator[None]:
        """On a Cluster, read the slot map again after a failed append to a node: the
        next append then finds a promoted replica or a moved slot."""
        try:
            yield
        except redis.RedisError:
            if isinstance(self._redis, RedisCluster):
                self._redis.nodes_manager.initialize()
            raise

    def send(self, command: Command | FuturesCommand) -> str:
        """Append one command; return its input entry ID (the ID of its output entry).

        On a single server, or a Cluster node with WAIT, the XADD goes over this thread's
        own connection (``_append``), not through redis-py's command machinery: order
        entry sends one per order.
        """
        key, payload = input_stream(command.symbol), command.encode()
        if isinstance(self._redis, redis.Redis):
            raw_id, acked = _append(self._redis.connection_pool, key, payload, self._wait)
        elif self._wait is not None:
            with self._slot_map_refreshed_on_error():
                raw_id, acked = _append(self._node(key).connection_pool, key, payload, self._wait)
        else:
            return _text(self._redis.xadd(key, {FIELD: payload}))
        entry_id = _text(raw_id)
        if acked is not None:
            self._check_acked([entry_id], acked)
        return entry_id

    def send_many(self, commands: Sequence[Command | FuturesCommand]) -> list[str]:
        """Append commands in one round trip per server (no transaction); return their
        entry IDs.

        Commands of one market keep their order. On a cluster the pipeline is split by
        node; each XADD still names a single key. One command goes without a pipeline,
        whose set-up costs more client CPU than the XADD (order entry sends one per order).
        """
        if len(commands) == 1:
            return [self.send(commands[0])]
        entry_ids = [""] * len(commands)
        with self._slot_map_refreshed_on_error():
            pipelines = self._pipelines(commands)
        for server, indexes in pipelines:
            pipe = server.pipeline(transaction=False)
            for i in indexes:
                pipe.xadd(input_stream(commands[i].symbol), {FIELD: commands[i].encode()})
            if self._wait is not None:
                pipe.execute_command("WAIT", *self._wait)
            with self._slot_map_refreshed_on_error():
                replies = pipe.execute()
            appended = [_text(entry_id) for entry_id in replies[: len(indexes)]]
            if self._wait is not None:
                self._check_acked(appended, replies[-1])
            for i, entry_id in zip(indexes, appended, strict=True):
                entry_ids[i] = entry_id
        return entry_ids

    def _pipelines(
        self, commands: Sequence[Command | FuturesCommand]
    ) -> list[tuple[Client, list[int]]]:
        """Where the commands go, as (server, their indexes): all to the one server or to
        redis-py's cluster pipeline, or with WAIT on a Cluster one pipeline per primary,
        each ending with its own WAIT."""
        if self._wait is None or isinstance(self._redis, redis.Redis):
            return [(self._redis, list(range(len(commands))))]
        by_node: dict[int, tuple[Client, list[int]]] = {}
        for i, command in enumerate(commands):
            node = self._node(input_stream(command.symbol))
            by_node.setdefault(id(node), (node, []))[1].append(i)
        return list(by_node.values())

    def register_markets(self, symbols: Sequence[str]) -> None:
        """List markets for engines started with ``--follow``; they start them within seconds.

        Send the market's MARKET_CREATE first, so the engine's first read finds it.
        """
        if symbols:
            self._redis.sadd(MARKETS_KEY, *symbols)

    def stats(self, symbol: str) -> EngineStats | None:
        """Return the engine's health figures for a market, or None if it never reported."""
        raw: Any = self._redis.hgetall(stats_key(symbol))
        if not raw:
            return None
        fields = {_text(k): _text(v) for k, v in raw.items()}
        return EngineStats(
            last_input_id=fields["last_input_id"],
            processed=int(fields["processed"]),
            commands_per_s=int(fields["commands_per_s"]),
            lag_entries=int(fields["lag_entries"]),
            updated_ms=int(fields["updated_ms"]),
        )


@dataclass(frozen=True, slots=True)
class EngineStats:
    last_input_id: str
    processed: int
    commands_per_s: int
    lag_entries: int  # -1 if the server cannot tell (Redis < 7)
    updated_ms: int


class EventConsumer:
    """One consumer of a consumer group on the output streams.

    Delivery is at least once: a consumer that restarts under the same name first calls
    `read_pending` (its own un-acknowledged entries), and `claim_stale` moves entries
    left behind by a consumer that never came back. Make applying an entry idempotent
    (e.g. store the last applied entry ID with the effects) and `ack` after commit.
    """

    def __init__(self, client: Client, *, group: str, consumer: str) -> None:
        self._redis = client
        self.group = group
        self.consumer = consumer

    def ensure_group(self, symbol: str, *, start_id: str = "0") -> bool:
        """Create the group on the market's output stream; False if it already existed."""
        try:
            self._redis.xgroup_create(output_stream(symbol), self.group, id=start_id, mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
            return False
        return True

    def read(
        self, symbol: str, *, count: int = 100, block_ms: int | None = None
    ) -> list[OutputEntry]:
        """Return entries never delivered to this group before (blocking up to block_ms)."""
        reply = self._redis.xreadgroup(
            self.group, self.consumer, {output_stream(symbol): ">"}, count=count, block=block_ms
        )
        return self._decode(symbol, stream_entries(reply))

    def read_pending(self, symbol: str, *, count: int = 100, after: str = "0") -> list[OutputEntry]:
        """Return entries delivered to this consumer and not yet acknowledged."""
        reply = self._redis.xreadgroup(
            self.group, self.consumer, {output_stream(symbol): after}, count=count
        )
        return self._decode(symbol, stream_entries(reply))

    def claim_stale(
        self, symbol: str, *, min_idle_ms: int, count: int = 100, start_id: str = "0-0"
    ) -> tuple[list[OutputEntry], str]:
        """Take over entries pending for longer than min_idle_ms in any consumer.

        Return the claimed entries and the cursor for the next call ("0-0" when done).
        """
        reply: Any = self._redis.xautoclaim(
            output_stream(symbol),
            self.group,
            self.consumer,
            min_idle_ms,
            start_id=start_id,
            count=count,
        )
        cursor, claimed = reply[0], reply[1]
        return self._decode(symbol, claimed), _text(cursor)

    def ack(self, symbol: str, entry_ids: Sequence[str]) -> int:
        if not entry_ids:
            return 0
        acked: Any = self._redis.xack(output_stream(symbol), self.group, *entry_ids)
        return int(acked)

    @staticmethod
    def _decode(symbol: str, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> list[OutputEntry]:
        out: list[OutputEntry] = []
        for entry_id, fields in entries:
            # XAUTOCLAIM reports trimmed entries with no fields; there is nothing to apply.
            if fields:
                out.append(decode_output(symbol, _text(entry_id), fields[FIELD]))
        return out
