"""Reads of the feed's history for the futures surfaces (``/fapi``, streams, GraphQL).

* ``premium_index``: the latest ``MarkFigures``, as the feed last published them;
* ``price_klines``: markPriceKlines / indexPriceKlines / premiumIndexKlines of any
  Binance interval, aggregated from the stored minute bars;
* ``funding_history``: fundingRate rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from exchange.core.pagination import check_limit
from exchange.futures.marks import latest_mark
from exchange.marketdata.errors import MarketDataError, MarketDataErrorCode
from exchange.marketdata.intervals import DAY, INTERVALS, bucket
from exchange.pricefeed.models import FundingRate, PriceBar

MAX_KLINES = 1500  # Binance's limit on the futures kline endpoints
MAX_FUNDING_ROWS = 1000

premium_index = latest_mark


@dataclass(frozen=True, slots=True)
class PriceKline:
    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal


def _span(interval: str) -> int:
    """The longest an interval's bucket can be (a month is at most 31 days)."""
    return INTERVALS[interval] or 31 * DAY


def price_klines(
    *,
    symbol: str,
    kind: str,
    interval: str,
    start: int | None = None,
    end: int | None = None,
    limit: int = 500,
    now_ms: int,
) -> list[PriceKline]:
    """Klines oldest first; from ``start`` the first ``limit``, otherwise the latest up to ``end``.

    Cost grows with the minutes the answer covers (a daily kline reads 1,440 rows).
    """
    check_limit(limit, maximum=MAX_KLINES)
    if interval not in INTERVALS:
        raise MarketDataError(
            MarketDataErrorCode.INVALID_INTERVAL,
            f"Invalid interval {interval!r}; use one of {', '.join(INTERVALS)}.",
        )
    if start is not None:
        low = bucket(interval, start)[0]
        high = min(end if end is not None else now_ms, low + limit * _span(interval))
    else:
        high = end if end is not None else now_ms
        low = bucket(interval, high)[0] - (limit - 1) * _span(interval)
    bars = PriceBar.objects.filter(
        symbol=symbol, kind=kind, open_time__gte=low, open_time__lte=high
    ).order_by("open_time")
    klines: dict[int, PriceKline] = {}
    for bar in bars:
        opened, closed = bucket(interval, bar.open_time)
        k = klines.get(opened)
        klines[opened] = (
            PriceKline(opened, closed, bar.open, bar.high, bar.low, bar.close)
            if k is None
            else PriceKline(
                opened, closed, k.open, max(k.high, bar.high), min(k.low, bar.low), bar.close
            )
        )
    ordered = list(klines.values())
    return ordered[:limit] if start is not None else ordered[-limit:]


def funding_history(
    *, symbol: str | None = None, start: int | None = None, end: int | None = None, limit: int = 100
) -> QuerySet[FundingRate]:
    """Funding rows oldest first: from ``start`` the first ``limit``, otherwise the latest."""
    check_limit(limit, maximum=MAX_FUNDING_ROWS)
    rows = FundingRate.objects.all()
    if symbol is not None:
        rows = rows.filter(symbol=symbol)
    if start is not None:
        rows = rows.filter(funding_time__gte=start)
    if end is not None:
        rows = rows.filter(funding_time__lte=end)
    if start is not None:
        return rows.order_by("funding_time")[:limit]
    latest = list(rows.order_by("-funding_time").values_list("pk", flat=True)[:limit])
    return FundingRate.objects.filter(pk__in=latest).order_by("funding_time")
