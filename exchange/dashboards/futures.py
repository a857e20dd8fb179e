"""Futures figures for the dashboards: per contract the trades, volume and fees over a
window (as ``activity`` does for spot markets), open interest, and the insurance fund
of each margin asset, all from the futures projection (``exchange.futures``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.utils import timezone

from exchange.core.money_db import count_and_sum_money, sum_money
from exchange.dashboards.activity import MarketActivity, Window, bucket_starts, unix
from exchange.futures.models import Contract, FuturesTrade, InsuranceFund, Position


@dataclass(frozen=True)
class ContractFigures:
    symbol: str
    base: str
    margin: str
    status: str
    open_interest: Decimal  # base quantity held long (= held short)


@dataclass(frozen=True)
class FuturesOverview:
    contracts: list[ContractFigures]
    activity: list[MarketActivity]  # ``quote`` is the margin asset, fees are charged in it
    insurance_fund: dict[str, Decimal]  # per margin asset


def futures_overview(*, window: Window, now: datetime | None = None) -> FuturesOverview | None:
    """None when no contract is listed."""
    contracts = list(
        Contract.objects.select_related("base_asset", "margin_asset").order_by("symbol")
    )
    if not contracts:
        return None
    longs = sum_money(Position.objects.filter(size__gt=0), ["contract_id"], "size")
    starts = bucket_starts(window, now or timezone.now())
    # The trade table's key starts with its time: the window is an index range.
    grouped = count_and_sum_money(
        FuturesTrade.objects.filter(time__gte=starts[0]).annotate(
            bucket=window.trunc("time", tzinfo=UTC)
        ),
        ["contract_id", "bucket"],
        ["quote_qty", "taker_fee", "maker_fee"],
    )
    volume: dict[tuple[int, datetime], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[int, datetime], int] = defaultdict(int)
    fees: dict[tuple[int, datetime], Decimal] = defaultdict(Decimal)
    for key, (n, (quote_qty, taker_fee, maker_fee)) in grouped.items():
        volume[key] += quote_qty
        counts[key] += n
        fees[key] += taker_fee + maker_fee
    activity = []
    for c in contracts:
        margin = c.margin_asset.code
        series = MarketActivity(
            symbol=c.symbol,
            base=c.base_asset.code,
            quote=margin,
            volume=[(unix(s), volume.get((c.pk, s), Decimal(0))) for s in starts],
            trades=[(unix(s), counts.get((c.pk, s), 0)) for s in starts],
            fees={margin: [(unix(s), fees.get((c.pk, s), Decimal(0))) for s in starts]},
        )
        activity.append(series)
    return FuturesOverview(
        contracts=[
            ContractFigures(
                symbol=c.symbol,
                base=c.base_asset.code,
                margin=c.margin_asset.code,
                status=c.status,
                open_interest=longs.get((c.pk,), Decimal(0)),
            )
            for c in contracts
        ],
        activity=activity,
        insurance_fund={
            f.asset.code: f.balance
            for f in InsuranceFund.objects.select_related("asset").order_by("asset__code")
        },
    )
