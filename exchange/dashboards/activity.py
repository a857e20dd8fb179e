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

from django.db.models.functions import TruncDay, TruncHour, TruncMinute
from django.utils import timezone

from exchange.core.money_db import count_and_sum_money
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
    total_volume: Decimal = field(init=False)
    total_trades: int = field(init=False)
    total_fees: dict[str, Decimal] = field(init=False)

    def __post_init__(self) -> None:
        self.total_volume = sum((v for _, v in self.volume), Decimal(0))
        self.total_trades = sum(n for _, n in self.trades)
        self.total_fees = {
            code: sum((v for _, v in points), Decimal(0)) for code, points in self.fees.items()
        }


def bucket_starts(window: Window, now: datetime) -> list[datetime]:
    last = _floor(now, window.bucket)
    count = int(window.span / window.bucket)
    return [last - window.bucket * i for i in range(count - 1, -1, -1)]


def _floor(moment: datetime, bucket: timedelta) -> datetime:
    seconds = int(bucket.total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def market_activity(*, window: Window, now: datetime | None = None) -> list[MarketActivity]:
    """Every market's volume, trades and fees per bucket of ``window`` up to ``now``."""
    now = now or timezone.now()
    starts = bucket_starts(window, now)
    markets = list(Market.objects.select_related("base", "quote").order_by("symbol"))
    # By market first: the (market, created_at) index serves each market's window.
    rows = Trade.objects.filter(
        market_id__in=[m.pk for m in markets], created_at__gte=starts[0]
    ).annotate(bucket=window.trunc("created_at", tzinfo=UTC))
    grouped = count_and_sum_money(
        rows,
        ["market_id", "bucket", "maker_commission_asset_id", "taker_commission_asset_id"],
        ["quote_qty", "maker_commission", "taker_commission"],
    )
    volume: dict[tuple[int, datetime], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[int, datetime], int] = defaultdict(int)
    fees: dict[tuple[int, datetime, int], Decimal] = defaultdict(Decimal)
    for (market_id, bucket, maker_asset, taker_asset), (n, sums) in grouped.items():
        quote_qty, maker_fee, taker_fee = sums
        volume[market_id, bucket] += quote_qty
        counts[market_id, bucket] += n
        fees[market_id, bucket, maker_asset] += maker_fee
        fees[market_id, bucket, taker_asset] += taker_fee
    activity = []
    for market in markets:
        assets = {market.base_id: market.base.code, market.quote_id: market.quote.code}
        series = MarketActivity(
            symbol=market.symbol,
            base=market.base.code,
            quote=market.quote.code,
            volume=[(unix(s), volume.get((market.pk, s), Decimal(0))) for s in starts],
            trades=[(unix(s), counts.get((market.pk, s), 0)) for s in starts],
            fees={
                code: [(unix(s), fees.get((market.pk, s, asset_id), Decimal(0))) for s in starts]
                for asset_id, code in assets.items()
            },
        )
        activity.append(series)
    return activity
