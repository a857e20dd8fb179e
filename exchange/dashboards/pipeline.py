"""Pipeline health per market: how far each reader of the market's streams has got.

Read from what the processes already leave behind, so the dashboard needs no
process of its own: the engine's stats hash and leader lease in Redis, the
standbys' positions, clearing's checkpoint row, market data's published
position, the unresolved dead letters. Lags are in entries (counted up to
``LAG_COUNT_CAP``) and in seconds of engine time (entry IDs), as the metrics
of each process report them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import redis
from django.db.models import Count

from exchange.clearing.models import Checkpoint, DeadLetter
from exchange.core.metrics import LAG_COUNT_CAP, id_ms, stream_position
from exchange.core.redis import get_redis
from exchange.futures.models import Contract
from exchange.marketdata.futures_feed import futures_published_up_to
from exchange.marketdata.store import published_up_to
from exchange.markets.models import Market
from matching_client import input_stream, leader_key, output_stream, standby_key, stats_key

# The engine refreshes its stats hash every second or so while it runs.
ENGINE_STALE_S = 10.0
# Past these a reader is falling behind, and the row says so.
LAG_WARN_ENTRIES = 500
LAG_WARN_S = 5.0
STANDBY_STALE_MS = 5000


@dataclass(frozen=True)
class Lag:
    """Where a reader is, and how far behind the newest output it is."""

    position: str | None  # None: it has read nothing yet
    entries: int
    seconds: float

    @property
    def capped(self) -> bool:
        return self.entries >= LAG_COUNT_CAP


@dataclass(frozen=True)
class Standby:
    token: str
    position: str
    seen_s_ago: float


@dataclass
class MarketPipeline:
    symbol: str
    status: str
    input_length: int | None = None
    output_length: int | None = None
    engine_position: str | None = None
    engine_processed: int | None = None
    engine_commands_per_s: int | None = None
    engine_lag_entries: int | None = None
    engine_seen_s_ago: float | None = None
    snapshot_id: str | None = None
    snapshot_age_s: float | None = None
    leader: str | None = None
    standbys: list[Standby] = field(default_factory=list)
    clearing: Lag | None = None
    marketdata: Lag | None = None
    dead_letters: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems


def _text(raw: Any) -> str | None:
    return raw.decode() if isinstance(raw, bytes) else raw


def _lag(client: Any, symbol: str, position: str | None) -> Lag | None:
    stream = output_stream(symbol)
    found = stream_position(client, stream, position or "0-0")
    if found is None:
        return None
    _, entries, seconds = found
    if position is None and entries:
        # Behind by all of it: in time, from the oldest entry still in the stream.
        oldest: Any = client.xrange(stream, "-", "+", count=1)
        newest: Any = client.xrevrange(stream, "+", "-", count=1)
        seconds = (id_ms(newest[0][0]) - id_ms(oldest[0][0])) / 1000
    return Lag(position=position, entries=entries, seconds=seconds)


def _engine(row: MarketPipeline, stats: dict[bytes, bytes], now_ms: int) -> None:
    if not stats:
        row.problems.append("no engine has reported on this market")
        return
    field_of = {k.decode(): v.decode() for k, v in stats.items()}
    row.engine_position = field_of.get("last_input_id")
    row.engine_processed = int(field_of.get("processed", 0))
    row.engine_commands_per_s = int(field_of.get("commands_per_s", 0))
    row.engine_lag_entries = int(field_of.get("lag_entries", -1))
    row.engine_seen_s_ago = max(0, now_ms - int(field_of.get("updated_ms", 0))) / 1000
    row.snapshot_id = field_of.get("snapshot_id") or None
    if row.snapshot_id and row.snapshot_id != "0-0":
        row.snapshot_age_s = max(0, now_ms - id_ms(row.snapshot_id)) / 1000
    if row.engine_seen_s_ago > ENGINE_STALE_S:
        row.problems.append(f"engine silent for {row.engine_seen_s_ago:.0f} s")
    if row.engine_lag_entries > LAG_WARN_ENTRIES:
        row.problems.append(f"engine {row.engine_lag_entries} commands behind")


def _reader(row: MarketPipeline, name: str, lag: Lag | None) -> None:
    if lag is None:
        row.problems.append(f"{name}: Redis did not answer")
    elif lag.entries > LAG_WARN_ENTRIES or lag.seconds > LAG_WARN_S:
        row.problems.append(f"{name} {lag.entries} entries / {lag.seconds:.1f} s behind")


def market_pipeline() -> list[MarketPipeline]:
    """Every spot market's and futures margin group's pipeline figures, and what in
    them needs an operator's eye."""
    client = get_redis()
    now_ms = int(time.time() * 1000)
    checkpoints = dict(Checkpoint.objects.values_list("symbol", "last_entry_id"))
    dead = dict(
        DeadLetter.objects.filter(resolved_at__isnull=True)
        .values("symbol")
        .annotate(n=Count("id"))
        .values_list("symbol", "n")
    )
    rows = []
    for symbol, status in Market.objects.order_by("symbol").values_list("symbol", "status"):
        row = MarketPipeline(symbol=symbol, status=status, dead_letters=dead.get(symbol, 0))
        _streams(row, client, now_ms, checkpoints.get(symbol))
        row.marketdata = _lag(client, symbol, published_up_to(symbol))
        _reader(row, "market data", row.marketdata)
        rows.append(row)
    # A futures margin group is one engine stream for all its contracts; its clearing
    # checkpoint row is "futures:GROUP" (exchange.clearing.futures).
    groups = Contract.objects.values_list("margin_asset__code", flat=True).distinct()
    for group in sorted(set(groups)):
        key = f"futures:{group}"
        row = MarketPipeline(symbol=group, status="MARGIN GROUP", dead_letters=dead.get(key, 0))
        _streams(row, client, now_ms, checkpoints.get(key))
        row.marketdata = _lag(client, group, futures_published_up_to(group))
        _reader(row, "market data", row.marketdata)
        rows.append(row)
    for row in rows:
        if row.dead_letters:
            row.problems.append(f"{row.dead_letters} dead letter(s) to resolve")
    return rows


def _streams(row: MarketPipeline, client: Any, now_ms: int, cleared: str | None) -> None:
    """The engine's and clearing's figures of one stream pair."""
    symbol = row.symbol
    try:
        pipe = client.pipeline(transaction=False)
        pipe.xlen(input_stream(symbol))
        pipe.xlen(output_stream(symbol))
        pipe.hgetall(stats_key(symbol))
        pipe.get(leader_key(symbol))
        pipe.hgetall(standby_key(symbol))
        in_len, out_len, stats, leader, standbys = pipe.execute()
    except redis.RedisError as exc:
        row.problems.append(f"Redis did not answer ({exc.__class__.__name__})")
        return
    row.input_length, row.output_length = int(in_len), int(out_len)
    row.leader = _text(leader)
    for token, value in standbys.items():
        position, _, at_ms = value.decode().partition("|")
        seen = max(0, now_ms - int(at_ms))
        if seen < STANDBY_STALE_MS:
            row.standbys.append(Standby(token.decode(), position, seen / 1000))
    _engine(row, stats, now_ms)
    row.clearing = _lag(client, symbol, cleared if cleared != "0-0" else None)
    _reader(row, "clearing", row.clearing)
