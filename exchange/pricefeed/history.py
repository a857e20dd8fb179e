"""The feed's history in the database: minute bars, premium samples, funding rows."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from exchange.pricefeed.models import FundingRate, PremiumSample, PriceBar, PriceKind
from exchange.pricefeed.pricer import FundingDecision, PriceTick

MINUTE_MS = 60_000


class MinuteBars:
    """Each contract's current minute of mark, index and premium, upserted every second.

    A bar this process did not open (a restart within its minute) is read back once, so
    its open, high and low survive the restart.
    """

    def __init__(self) -> None:
        self.bars: dict[tuple[str, str], PriceBar] = {}
        self.touched: dict[tuple[str, str], PriceBar] = {}

    def _bar(self, symbol: str, kind: str, open_time: int, value: Decimal) -> PriceBar:
        bar = self.bars.get((symbol, kind))
        if bar is None or bar.open_time != open_time:
            bar = PriceBar.objects.filter(symbol=symbol, kind=kind, open_time=open_time).first()
            if bar is None:
                bar = PriceBar(
                    symbol=symbol, kind=kind, open_time=open_time, open=value, high=value, low=value
                )
            self.bars[(symbol, kind)] = bar
        return bar

    def add(self, symbol: str, tick: PriceTick) -> None:
        open_time = tick.time_ms // MINUTE_MS * MINUTE_MS
        for kind, value in (
            (PriceKind.MARK, tick.mark),
            (PriceKind.INDEX, tick.index),
            (PriceKind.PREMIUM, tick.premium),
        ):
            bar = self._bar(symbol, kind, open_time, value)
            bar.high, bar.low, bar.close = max(bar.high, value), min(bar.low, value), value
            self.touched[(symbol, kind)] = bar

    def flush(self) -> None:
        if not self.touched:
            return
        PriceBar.objects.bulk_create(
            list(self.touched.values()),
            update_conflicts=True,
            unique_fields=["symbol", "kind", "open_time"],
            update_fields=["high", "low", "close"],
        )
        self.touched.clear()


def store_sample(symbol: str, tick: PriceTick) -> None:
    PremiumSample.objects.get_or_create(
        symbol=symbol,
        time=tick.time_ms,
        defaults={"premium": tick.premium, "index_price": tick.index},
    )


def load_samples(symbol: str, since_ms: int) -> list[tuple[int, Decimal]]:
    rows = PremiumSample.objects.filter(symbol=symbol, time__gt=since_ms).order_by("time")
    return [(t, p) for t, p in rows.values_list("time", "premium")]


def last_funding_time(symbol: str) -> int | None:
    row = FundingRate.objects.filter(symbol=symbol).order_by("-funding_time").first()
    return row.funding_time if row else None


def record_funding(
    symbol: str, decision: FundingDecision, tick: PriceTick, interest_rate: Decimal
) -> bool:
    """Write the funding row before its command goes out; False if the row already exists.

    An existing row means that funding was appended (or attempted) before: never twice.
    """
    with transaction.atomic():
        _, created = FundingRate.objects.get_or_create(
            symbol=symbol,
            funding_time=decision.funding_time,
            defaults={
                "rate": decision.rate,
                "rate_units": decision.rate_units,
                "mark_price": tick.mark,
                "index_price": tick.index,
                "average_premium": decision.average_premium,
                "interest_rate": interest_rate,
                "samples": decision.samples,
                "applied_at": tick.time_ms,
            },
        )
    return created


def funding_appended(symbol: str, funding_time: int, entry_id: str) -> None:
    FundingRate.objects.filter(symbol=symbol, funding_time=funding_time).update(entry_id=entry_id)


def fundings_without_entry(symbol: str) -> list[FundingRate]:
    """Fundings decided but not known to be appended (the process died in between)."""
    return list(FundingRate.objects.filter(symbol=symbol, entry_id="").order_by("funding_time"))


def previous_entry(row: FundingRate) -> str:
    """The input entry of the contract's funding before ``row`` ("0-0" if none)."""
    previous = (
        FundingRate.objects.filter(symbol=row.symbol, funding_time__lt=row.funding_time)
        .exclude(entry_id="")
        .order_by("-funding_time")
        .first()
    )
    return previous.entry_id if previous else "0-0"
