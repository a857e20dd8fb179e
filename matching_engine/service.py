"""The engine process: one worker thread per market between its input and output streams.

Per market the worker keeps two connections to the node that holds the market's keys:
a reader with one XREAD always in flight (COUNT adapts to the backlog, BLOCK when
idle) and a writer that receives, in one MULTI-less pipeline, one XADD per input entry
with the SAME stream ID. While the engine matches batch k, Redis already fetches batch
k+1 and fsyncs the outputs of batch k-1. XADD refuses an ID not above the stream's last
one, so a replayed batch can never duplicate output; that refusal is read as "already
written". Snapshots are taken only when every output so far is acknowledged, so
restart = load snapshot + replay the input after its last ID.
"""

from __future__ import annotations

import argparse
import gc
import logging
import re
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import redis
from prometheus_client import REGISTRY, start_http_server
from redis.cluster import RedisCluster

from . import CORE
from .futures.engine import MarginGroup
from .lease import Lease, new_token
from .market import Market
from .metrics import EngineCollector
from .protocol import (
    FIELD,
    MARKETS_KEY,
    input_stream,
    input_trimmed_key,
    output_stream,
    stats_key,
)
from .resp import RespConnection, RespError, encode_command
from .resp_batch import frame_xadds
from .sentinels import SentinelPrimary
from .snapshot import FileSnapshotStore, RedisSnapshotStore, Snapshot, SnapshotStore

log = logging.getLogger("matching_engine")

Client = redis.Redis | RedisCluster
StreamId = tuple[int, int]

MIN_BATCH = 16
# The engine leaves no reference cycles behind (none after the futures bench's 500,000
# commands nor after the property workloads), so the cyclic GC does not run on the hot
# path at all: its young-generation sweeps found nothing and cost ~8 % of a futures
# command (ADR 0055). Full collections run when a market is idle, at most this often,
# and after each snapshot (every --snapshot-every entries), which bounds what a cycle
# could hold.
IDLE_FULL_GC_S = 30.0
STATS_INTERVAL_S = 1.0
RETRY_DELAY_S = 0.2
# Error replies that mean "this node cannot serve you right now": reconnect and retry.
_TRANSIENT = ("LOADING", "MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY")
_UNREACHABLE = (OSError, redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)
SYMBOL = re.compile(r"[A-Z0-9]{1,32}")


class DivergedError(Exception):
    """Replay produced an output that differs from the one already in the output stream."""


class TrimmedInputError(Exception):
    """No snapshot, and the input stream no longer starts at the beginning."""


class TransientError(ConnectionError):
    """The node answered but cannot serve the market now (loading, moved slot, ...)."""


def parse_id(entry_id: bytes) -> StreamId:
    ms, _, seq = entry_id.partition(b"-")
    return int(ms), int(seq)


def _check_error(error: RespError) -> None:
    message = str(error)
    if message.startswith(_TRANSIENT):
        raise TransientError(message)
    raise error


class MarketWorker:
    """Owns one market: its state, its position in the input stream and its snapshots."""

    def __init__(
        self,
        symbol: str,
        client: Client,
        connect: Callable[[], RespConnection],
        store: SnapshotStore,
        stop: threading.Event,
        *,
        snapshot_every: int,
        block_ms: int,
        max_batch: int,
        futures: bool = False,
        lease: Lease | None = None,
        min_replicas: int = 0,
        replica_timeout_ms: int = 500,
    ) -> None:
        self.symbol = symbol
        # None: write always (one engine per market). Else a hot standby pair: write,
        # snapshot and publish stats only while holding the lease (lease.py).
        self.lease = lease
        self.client = client
        self.connect = connect
        self.store = store
        self.stop = stop
        self.snapshot_every = snapshot_every
        self.block_ms = block_ms
        self.max_batch = max_batch
        self.in_stream = input_stream(symbol)
        self.out_stream = output_stream(symbol)
        self.stats_key = stats_key(symbol)
        key = self.out_stream.encode()
        self._xadd_head = b"*5\r\n$4\r\nXADD\r\n$%d\r\n%s\r\n" % (len(key), key)
        # With replicas to wait for, each pipeline of outputs ends with a WAIT, and the
        # outputs count as written only once that many replicas confirmed them.
        self.min_replicas = min_replicas
        self._wait = encode_command("WAIT", min_replicas, replica_timeout_ms)
        # A futures margin group speaks the same stream protocol as a spot market.
        self.futures = futures
        self.market: Market | MarginGroup = MarginGroup(symbol) if futures else Market(symbol)
        self.last_id = b"0-0"
        self.processed = 0
        self.snapshot_processed = 0
        # The input ID the last durable snapshot covers ("" before the first): a restart
        # needs the input after it, so the stream trimmer may drop what lies below.
        self.snapshot_id = b""
        # Outputs up to this ID were already in the output stream at startup.
        self.written_until: StreamId | None = None
        # Outputs of applied entries not yet acknowledged by Redis, oldest first; the
        # first `writes_in_flight` of them were sent on the current writer connection.
        self.unconfirmed: list[tuple[bytes, bytes]] = []
        self.writes_in_flight = 0
        self._expected = b""  # the replies to the XADDs in flight when all succeed
        self.reader: RespConnection | None = None
        self.writer: RespConnection | None = None
        self.read_in_flight = False
        self.count = 128
        self.failed = False
        self._stats_at = 0.0
        self._stats_processed = 0
        self._full_gc_at = time.monotonic()

    # --- lifecycle -------------------------------------------------------------------

    def run(self) -> None:
        """Run until `stop` is set; on an unexpected error flag failure and stop all."""
        try:
            if self._retrying(self._recover):
                gc.freeze()  # the restored book is long-lived: never scan it again
                self._loop()
        except DivergedError:
            log.critical("%s: replay diverged from the output stream; stopping", self.symbol)
            self.failed = True
            self.stop.set()
        except TrimmedInputError as exc:
            log.critical("%s: %s; restore the snapshot, stopping", self.symbol, exc)
            self.failed = True
            self.stop.set()
        except Exception:
            log.exception("%s: worker failed", self.symbol)
            self.failed = True
            self.stop.set()

    def _retrying(self, step: Callable[[], None]) -> bool:
        """Run `step`, retrying while Redis is unreachable; False if stopped meanwhile."""
        while True:
            try:
                step()
                return True
            except _UNREACHABLE as exc:
                if self.stop.is_set():
                    log.warning("%s: stopping with Redis unreachable (%s)", self.symbol, exc)
                    return False
                log.warning("%s: Redis unreachable (%s); retrying", self.symbol, exc)
                time.sleep(RETRY_DELAY_S)

    def _recover(self) -> None:
        snapshot = self.store.load(self.symbol)
        if snapshot is not None:
            self.market = snapshot.market
            self.last_id = snapshot.last_id.encode()
            self.processed = self.snapshot_processed = snapshot.processed
            self.snapshot_id = self.last_id
        else:
            self._check_input_whole()
        newest: Any = self.client.xrevrange(self.out_stream, "+", "-", count=1)
        if newest:
            self.written_until = parse_id(newest[0][0])
        log.info(
            "%s: resuming after %s (%d processed); output stream ends at %s",
            self.symbol,
            self.last_id.decode(),
            self.processed,
            self.written_until,
        )

    def _check_input_whole(self) -> None:
        """Refuse to replay from the start an input stream the trimmer has cut."""
        cut: Any = self.client.get(input_trimmed_key(self.symbol))
        if cut:
            raise TrimmedInputError(f"input trimmed below {cut.decode()} and no snapshot")

    def _loop(self) -> None:
        while True:
            try:
                if self.reader is None or self.writer is None:
                    self._connect()
                if self._step():
                    return
            except _UNREACHABLE as exc:
                self._disconnect()
                if self.stop.is_set():
                    # The state is recomputable from the snapshot and the input stream.
                    log.warning("%s: stopping with Redis unreachable (%s)", self.symbol, exc)
                    return
                log.warning("%s: Redis unreachable (%s); reconnecting", self.symbol, exc)
                time.sleep(RETRY_DELAY_S)

    def _connect(self) -> None:
        self._disconnect()
        self.reader = self.connect()
        self.writer = self.connect()
        self.writes_in_flight = 0
        if self._input_lost_its_tail():
            self._rewind()
        if self.unconfirmed:
            # Some may have landed before the failure: XADD refuses those, harmlessly.
            self._send_outputs(self.writer)

    def _input_lost_its_tail(self) -> bool:
        """True when the input no longer holds the last entry applied: a failover to a
        replica that had not received it (possible only without ``--min-replicas``, or
        for entries whose outputs were never confirmed). The trimmer never removes the
        engine's own position, so a missing entry means the journal went back."""
        if self.last_id == b"0-0":
            return False
        found: Any = self.client.xrange(self.in_stream, self.last_id, self.last_id)
        return not found

    def _rewind(self) -> None:
        """Start again from the durable snapshot and replay the input the new primary holds.

        Outputs not yet written are dropped with the state that made them: they answer
        inputs the journal lost. Outputs already on the new primary are compared with
        the replay as on any restart.
        """
        log.warning(
            "%s: input stream lost %s (failover?); restarting from the snapshot",
            self.symbol,
            self.last_id.decode(),
        )
        self.market = MarginGroup(self.symbol) if self.futures else Market(self.symbol)
        self.last_id, self.processed, self.snapshot_processed = b"0-0", 0, 0
        self.snapshot_id, self.written_until = b"", None
        self.unconfirmed.clear()
        self.read_in_flight = False
        self._recover()

    def _disconnect(self) -> None:
        for conn in (self.reader, self.writer):
            if conn is not None:
                conn.close()
        self.reader = self.writer = None
        self.read_in_flight = False

    # --- one step ---------------------------------------------------------------------

    def _step(self) -> bool:
        """Take the next batch, match it, send its outputs. True once stopped."""
        reader, writer = self.reader, self.writer
        assert reader is not None and writer is not None
        if self.stop.is_set():
            self._confirm()
            if self._leading() and self.processed != self.snapshot_processed:
                self._save_snapshot()
            if self.lease is not None:
                self.lease.release()  # the standby need not wait for the lapse
            log.info("%s: stopped after %s", self.symbol, self.last_id.decode())
            return True
        if not self.read_in_flight:
            self._request_batch(reader, self.last_id)
        entries = self._read_batch(reader)
        if not entries and time.monotonic() - self._full_gc_at > IDLE_FULL_GC_S:
            gc.collect()
            self._full_gc_at = time.monotonic()
        if entries:
            # Ask for the next batch now: Redis serves it while this one is matched.
            self._request_batch(reader, entries[-1][0])
            # Kept before any I/O: from here on a failure must not lose these outputs.
            self.unconfirmed += self._process(entries)
        if self.lease is None or self.lease.held():
            # Just took over: the outputs the old leader had not written go now.
            if entries or (self.unconfirmed and not self.writes_in_flight):
                self._confirm()
                if self.unconfirmed:
                    self._send_outputs(writer)
        else:
            self._confirm()  # replies to what was sent while still leading
            self._drop_written()
            self.lease.report_position(self.last_id)
            return False
        self._publish_stats()
        if self.market.snapshot_requested or (
            self.processed - self.snapshot_processed >= self.snapshot_every
        ):
            self._confirm()  # a snapshot must not get ahead of the output stream
            self._save_snapshot()
        return False

    def _send_outputs(self, writer: RespConnection) -> None:
        """Send every unconfirmed output as one pipeline of XADDs with explicit IDs."""
        tail = self._wait if self.min_replicas else b""
        pipeline, self._expected = frame_xadds(self._xadd_head, self.unconfirmed, tail)
        writer.send(pipeline)
        self.writes_in_flight = len(self.unconfirmed)

    def _leading(self) -> bool:
        return self.lease is None or self.lease.leading

    def _drop_written(self) -> None:
        """As a standby, forget the outputs the leader has written (same IDs, same bytes)."""
        if not self.unconfirmed:
            return
        newest: Any = self.client.xrevrange(self.out_stream, "+", "-", count=1)
        if not newest:
            return
        written = parse_id(newest[0][0])
        done = 0
        while done < len(self.unconfirmed) and parse_id(self.unconfirmed[done][0]) <= written:
            done += 1
        del self.unconfirmed[:done]

    def _confirm(self) -> None:
        """Wait for the replies to the XADDs in flight."""
        if not self.writes_in_flight:
            return
        assert self.writer is not None
        # Normally every XADD answers its own ID: one comparison for the whole batch.
        if not self.writer.read_expected(self._expected):
            for error in self.writer.read_xadd_replies(self.writes_in_flight):
                if "equal or smaller" not in str(error):
                    _check_error(error)
        sent, self.writes_in_flight = self.writes_in_flight, 0
        if self.min_replicas:
            acked = int(self.writer.read_reply())
            if acked < self.min_replicas:
                # Kept: sent again with the next batch (refused as already written)
                # and waited for again, until the replicas have them.
                log.warning(
                    "%s: %d outputs confirmed by %d of %d replicas; waiting again",
                    self.symbol,
                    sent,
                    acked,
                    self.min_replicas,
                )
                return
        del self.unconfirmed[:sent]

    def _request_batch(self, reader: RespConnection, after: bytes) -> None:
        reader.send(
            encode_command(
                "XREAD",
                "COUNT",
                self.count,
                "BLOCK",
                self.block_ms,
                "STREAMS",
                self.in_stream,
                after,
            )
        )
        self.read_in_flight = True

    def _read_batch(self, reader: RespConnection) -> list[tuple[bytes, bytes | None]]:
        try:
            entries = reader.read_xread_reply()
        except RespError as error:
            self.read_in_flight = False
            _check_error(error)
            raise
        self.read_in_flight = False
        n = len(entries)
        if n >= self.count:
            self.count = min(self.count * 2, self.max_batch)
        elif n < self.count // 4:
            self.count = max(self.count // 2, MIN_BATCH)
        return entries

    def _process(self, entries: list[tuple[bytes, bytes | None]]) -> list[tuple[bytes, bytes]]:
        """Apply a batch; return the outputs still to be written."""
        # Any I/O happens before the state changes: a failure here must leave the batch
        # unapplied, or the retry would apply it twice.
        existing = self._fetch_written(entries) if self.written_until is not None else None
        outputs = self.market.apply_entries(entries)
        self.last_id = entries[-1][0]
        self.processed += len(entries)
        if existing is not None:
            outputs = self._skip_written(outputs, existing)
        return outputs

    def _fetch_written(self, entries: list[tuple[bytes, bytes | None]]) -> dict[bytes, bytes]:
        """Return the outputs already in the stream for this batch's IDs."""
        assert self.written_until is not None
        last = min(parse_id(entries[-1][0]), self.written_until)
        written: Any = self.client.xrange(self.out_stream, entries[0][0], b"%d-%d" % last)
        return {entry_id: fields.get(FIELD) for entry_id, fields in written}

    def _skip_written(
        self, outputs: list[tuple[bytes, bytes]], existing: dict[bytes, bytes]
    ) -> list[tuple[bytes, bytes]]:
        """Drop outputs already in the stream, after checking they are the same bytes."""
        written_until = self.written_until
        assert written_until is not None
        fresh: list[tuple[bytes, bytes]] = []
        for entry_id, blob in outputs:
            if parse_id(entry_id) > written_until:
                fresh.append((entry_id, blob))
            elif entry_id in existing and existing[entry_id] != blob:
                raise DivergedError(f"{self.symbol}: replayed output {entry_id!r} differs")
        if fresh or parse_id(self.last_id) >= written_until:
            self.written_until = None
        return fresh

    # --- snapshots and stats ----------------------------------------------------------

    def _save_snapshot(self) -> None:
        if self.unconfirmed:
            return  # outputs the replicas lack: a failover could leave the snapshot ahead
        started = time.monotonic()
        self.store.save(Snapshot(self.last_id.decode(), self.processed, self.market))
        self.snapshot_processed = self.processed
        self.snapshot_id = self.last_id
        self.market.snapshot_requested = False
        gc.collect()  # the pause is already taken; see IDLE_FULL_GC_S
        self._full_gc_at = time.monotonic()
        log.info(
            "%s: snapshot at %s (%d processed) in %.3fs",
            self.symbol,
            self.last_id.decode(),
            self.processed,
            time.monotonic() - started,
        )

    def _publish_stats(self) -> None:
        now = time.monotonic()
        elapsed = now - self._stats_at
        if elapsed < STATS_INTERVAL_S:
            return
        info: Any = self.client.xinfo_stream(self.in_stream) if self.processed else {}
        added = info.get("entries-added") if isinstance(info, dict) else None
        rate = (self.processed - self._stats_processed) / elapsed if self._stats_at else 0.0
        self.client.hset(
            self.stats_key,
            mapping={
                "last_input_id": self.last_id,
                "processed": self.processed,
                "commands_per_s": round(rate),
                "lag_entries": int(added) - self.processed if added is not None else -1,
                "batch_count": self.count,
                "snapshot_processed": self.snapshot_processed,
                "snapshot_id": self.snapshot_id,
                "updated_ms": int(time.time() * 1000),
            },
        )
        self._stats_at = now
        self._stats_processed = self.processed


def _clients(
    url: str, cluster: bool, block_ms: int, symbol: str, sentinel: tuple[str, str] | None = None
) -> tuple[Client, Callable[[], RespConnection]]:
    """Return a redis-py client and a factory of hot-path connections for one market.

    ``sentinel = (sentinels csv, service name)``: both follow the primary Sentinel names,
    asked again at each reconnect (a failover shows up as a dropped connection).
    """
    timeout = block_ms / 1000 + 30
    if sentinel is not None:
        primary = SentinelPrimary(sentinel[0], sentinel[1], url)

        def connect_primary() -> RespConnection:
            conn = RespConnection.from_url(url, timeout=timeout)
            conn.host, conn.port = primary.address()
            conn.connect()
            return conn

        return primary.client(socket_timeout=timeout), connect_primary
    if not cluster:

        def connect() -> RespConnection:
            conn = RespConnection.from_url(url, timeout=timeout)
            conn.connect()
            return conn

        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=5)
        return client, connect

    cluster_client = RedisCluster.from_url(url, socket_timeout=timeout, socket_connect_timeout=5)

    def connect_node() -> RespConnection:
        # Ask the cluster again each time: a reconnect may follow a MOVED slot.
        cluster_client.nodes_manager.initialize()
        node = cluster_client.get_node_from_key(input_stream(symbol))  # type: ignore[no-untyped-call]
        conn = RespConnection.from_url(url, timeout=timeout)
        conn.host, conn.port = node.host, int(node.port)
        conn.connect()
        return conn

    return cluster_client, connect_node


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m matching_engine", description=__doc__)
    p.add_argument("--version", action="version", version=f"matching core: {CORE}")
    p.add_argument("--redis", required=True, help="redis://, rediss:// or unix:// URL")
    p.add_argument("--cluster", action="store_true", help="the URL names a Redis Cluster node")
    p.add_argument(
        "--sentinels",
        default="",
        help="host:port,... of Redis Sentinels: follow the primary they name "
        "(the URL then gives only the database and password)",
    )
    p.add_argument("--sentinel-service", default="exchange", help="the Sentinel service name")
    p.add_argument("--markets", default="", help="comma-separated symbols, e.g. BTCUSDT")
    p.add_argument(
        "--margin-groups",
        default="",
        help="comma-separated margin assets, e.g. USDT: one futures state machine each",
    )
    p.add_argument(
        "--follow",
        action="store_true",
        help=f"also run every market in the Redis set {MARKETS_KEY}, "
        "including those added while running",
    )
    p.add_argument(
        "--follow-interval", type=float, default=2.0, help="seconds between looks at the set"
    )
    p.add_argument(
        "--snapshot-dir",
        type=Path,
        help="write snapshots as files here (default: Redis key me:{SYMBOL}:snapshot)",
    )
    p.add_argument("--snapshot-every", type=int, default=500_000, help="input entries")
    p.add_argument("--block-ms", type=int, default=100, help="XREAD BLOCK when idle")
    p.add_argument("--max-batch", type=int, default=4096, help="largest XREAD COUNT")
    p.add_argument(
        "--standby",
        action="store_true",
        help="hot standby pair: follow always, write only while holding the lease "
        "me:{SYMBOL}:leader (run every engine of the market with it)",
    )
    p.add_argument(
        "--min-replicas",
        type=int,
        default=0,
        help="count outputs as written only once this many replicas confirm them (WAIT)",
    )
    p.add_argument("--replica-timeout-ms", type=int, default=500, help="WAIT timeout")
    p.add_argument("--log-level", default="INFO")
    p.add_argument(
        "--metrics-port", type=int, default=0, help="serve Prometheus metrics here (0: off)"
    )
    args = p.parse_args(argv)
    if not args.follow and not _symbols(args.markets) and not _symbols(args.margin_groups):
        p.error("give --markets, --margin-groups, --follow or several")
    return args


def _symbols(csv: str) -> list[str]:
    return [s.strip() for s in csv.split(",") if s.strip()]


def _worker(
    symbol: str, args: argparse.Namespace, stop: threading.Event, futures: bool = False
) -> MarketWorker:
    sentinel = (args.sentinels, args.sentinel_service) if args.sentinels else None
    client, connect = _clients(args.redis, args.cluster, args.block_ms, symbol, sentinel)
    store: SnapshotStore = (
        FileSnapshotStore(args.snapshot_dir) if args.snapshot_dir else RedisSnapshotStore(client)
    )
    return MarketWorker(
        symbol,
        client,
        connect,
        store,
        stop,
        snapshot_every=args.snapshot_every,
        block_ms=args.block_ms,
        max_batch=args.max_batch,
        futures=futures,
        lease=Lease(client, symbol, args.token) if args.standby else None,
        min_replicas=args.min_replicas,
        replica_timeout_ms=args.replica_timeout_ms,
    )


def followed_markets(client: Client) -> list[str]:
    """The symbols in the registry set, sorted; [] (logged) while Redis cannot answer."""
    try:
        members: Any = client.smembers(MARKETS_KEY)
    except (*_UNREACHABLE, redis.RedisError) as exc:
        log.warning("cannot read %s (%s); will look again", MARKETS_KEY, exc)
        return []
    symbols = sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)
    for symbol in symbols:
        if not SYMBOL.fullmatch(symbol):
            log.warning("ignoring %r in %s: not a symbol", symbol, MARKETS_KEY)
    return [s for s in symbols if SYMBOL.fullmatch(s)]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.token = new_token()
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(threadName)s %(message)s"
    )
    log.info("matching core: %s", CORE)
    stop = threading.Event()
    gc.disable()  # collected explicitly: see IDLE_FULL_GC_S

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: finishing the current batch", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    workers: dict[str, MarketWorker] = {}
    threads: list[threading.Thread] = []
    if args.metrics_port:
        REGISTRY.register(EngineCollector(lambda: dict(workers)))
        start_http_server(args.metrics_port)
        log.info("metrics on port %d", args.metrics_port)

    def start(symbols: Sequence[str], futures: bool = False) -> None:
        for symbol in symbols:
            if symbol in workers or stop.is_set():
                continue
            workers[symbol] = worker = _worker(symbol, args, stop, futures)
            thread = threading.Thread(target=worker.run, name=symbol)
            threads.append(thread)
            thread.start()
            log.info("%s: started", symbol)

    start(_symbols(args.margin_groups), futures=True)
    start(_symbols(args.markets))
    registry: Client | None = None
    if args.follow:
        registry = (
            RedisCluster.from_url(args.redis, socket_timeout=5, socket_connect_timeout=5)
            if args.cluster
            else redis.Redis.from_url(args.redis, socket_timeout=5, socket_connect_timeout=5)
        )
    next_look = 0.0
    while (registry is not None and not stop.is_set()) or any(t.is_alive() for t in threads):
        if registry is not None and not stop.is_set() and time.monotonic() >= next_look:
            start(followed_markets(registry))
            next_look = time.monotonic() + args.follow_interval
        alive = [t for t in threads if t.is_alive()]
        if alive:
            for t in alive:
                t.join(0.2 / len(alive))
        else:
            stop.wait(0.2)
    return 1 if any(w.failed for w in workers.values()) else 0
