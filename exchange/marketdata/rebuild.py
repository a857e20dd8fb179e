"""Rebuild a market's klines from its trade history (the ``Trade`` rows clearing wrote).

For a new deployment over an existing history, or to repair klines: every
interval's bars are recomputed with the same code the market-data process
uses and replace the stored ones in one transaction. Run it with the
market-data process stopped, or accept that bars it upserts meanwhile are
overwritten with the history as cleared at the time of the rebuild.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from exchange.marketdata.models import Kline
from exchange.marketdata.stats import Bar, Klines, TradeTick
from exchange.marketdata.store import kline_rows
from exchange.markets.filters import price_to_ticks, qty_to_lots, quote_to_units
from exchange.markets.models import Market
from exchange.orders.models import Trade

Progress = Callable[[int, int], None]
CHUNK = 5000


def rebuild_klines(market: Market, *, progress: Progress | None = None) -> int:
    """Recompute and replace every kline of ``market``; return the number of trades read."""
    total = Trade.objects.filter(market=market).count()
    klines = Klines()
    bars: dict[tuple[str, int], Bar] = {}
    done, after = 0, -1
    while True:
        chunk = list(
            Trade.objects.filter(market=market, trade_id__gt=after)
            .order_by("trade_id")
            .values_list("trade_id", "price", "qty", "quote_qty", "is_buyer_maker", "created_at")[
                :CHUNK
            ]
        )
        for trade_id, price, qty, quote, buyer_maker, created_at in chunk:
            tick = TradeTick(
                int(created_at.timestamp() * 1000),
                trade_id,
                price_to_ticks(market, price),
                qty_to_lots(market, qty),
                quote_to_units(market, quote),
                not buyer_maker,
            )
            for bar in klines.add(tick):
                bars[(bar.interval, bar.open_time)] = bar
        done += len(chunk)
        if progress is not None:
            progress(done, total)
        if len(chunk) < CHUNK:
            break
        after = chunk[-1][0]
    rows = kline_rows(market, bars.values())
    with transaction.atomic():
        Kline.objects.filter(market=market).delete()
        Kline.objects.bulk_create(rows, batch_size=1000)
    return done
