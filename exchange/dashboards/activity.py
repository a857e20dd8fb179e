"""Per-market trading activity over a window: volume, trade count and fees per time bucket.

Buckets are cut by the database (``Trunc*`` on ``created_at``, the engine's time) and
summed exactly with ``sum_money`` (ADR 0002). Every bucket of the window is present,
zero when nothing traded, so the charts have a steady time axis.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDay, TruncHour, TruncMinute
from django.utils import timezone

from exchange.core.money_db import sum_money
from exchange.markets.models import Market
from exchange.orders.models import Trade


@dataclass(frozen=True)
class Window:
    """A dashboard time range and the bucket its charts are drawn with."""

    name: str
    span: timedelta
    bucket: timedelta
    bucket_name: str
    trunc: Any


WINDOWS = {
    w.name: w
    for w in (
        Window("1h", timedelta(hours=1), timedelta(minutes=1), "minute", TruncMinute),
        Window("24h", timedelta(hours=24), timedelta(hours=1), "hour", TruncHour),
        Window("30d", timedelta(days=30), timedelta(days=1), "day", TruncDay),
    )
}
DEFAULT_WINDOW = "24h"


@dataclass
class MarketActivity:
    """One market's series; times are bucket starts in Unix seconds (UTC)."""

    symbol: str
    base: str
    quote: str
    volume: list[tuple[int, Decimal]]  # quote quantity traded
    trades: list[tuple[int, int]]
    fees: dict[str, list[tuple[int, Decimal]]]  # per asset the fee was charged in
    total_volume: Decimal = Decimal(0)
    total_trades: int = 0
    total_fees: dict[str, Decimal] = field(default_factory=dict)


def _bucket_starts(window: Window, now: datetime) -> list[datetime]:
    last = _floor(now, window.bucket)
    count = int(window.span / window.bucket)
    return [last - window.bucket * i for i in range(count - 1, -1, -1)]


def _floor(moment: datetime, bucket: timedelta) -> datetime:
    seconds = int(bucket.total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def market_activity(*, window: Window, now: datetime | None = None) -> list[MarketActivity]:
    """Every market's volume, trades and fees per bucket of ``window`` up to ``now``."""
    now = now or timezone.now()
    starts = _bucket_starts(window, now)
    rows = Trade.objects.filter(created_at__gte=starts[0]).annotate(
        bucket=window.trunc("created_at", tzinfo=UTC)
    )
    volume = sum_money(rows, ["market_id", "bucket"], "quote_qty")
    counts = {
        (r["market_id"], r["bucket"]): r["n"]
        for r in rows.values("market_id", "bucket").annotate(n=Count("id")).order_by()
    }
    fees: dict[tuple[int, datetime, int], Decimal] = defaultdict(Decimal)
    for side in ("maker", "taker"):
        charged = sum_money(
            rows, ["market_id", "bucket", f"{side}_commission_asset_id"], f"{side}_commission"
        )
        for key, amount in charged.items():
            fees[key] += amount
    activity = []
    markets = Market.objects.select_related("base", "quote").order_by("symbol")
    for market in markets:
        assets = {market.base_id: market.base.code, market.quote_id: market.quote.code}
        series = MarketActivity(
            symbol=market.symbol,
            base=market.base.code,
            quote=market.quote.code,
            volume=[(_seconds(s), volume.get((market.pk, s), Decimal(0))) for s in starts],
            trades=[(_seconds(s), counts.get((market.pk, s), 0)) for s in starts],
            fees={
                code: [
                    (_seconds(s), fees.get((market.pk, s, asset_id), Decimal(0))) for s in starts
                ]
                for asset_id, code in assets.items()
            },
        )
        series.total_volume = sum((v for _, v in series.volume), Decimal(0))
        series.total_trades = sum(n for _, n in series.trades)
        series.total_fees = {
            code: sum((v for _, v in points), Decimal(0)) for code, points in series.fees.items()
        }
        activity.append(series)
    return activity
