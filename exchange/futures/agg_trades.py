"""Aggregate trades of a contract (Binance's ``aggTrades``) from the cleared fills.

Consecutive fills of one taker order at one price are one aggregate trade: a market
order walking three levels makes three, a taker filled by five makers at one price makes
one. An aggregate's id is its first fill's ``trade_seq`` (the engine's per-contract
sequence), so ids grow, stay the same after a restart, and ``fromId`` is a fill id.
Fills of one taker order share their engine entry and so their time: a time window
never cuts an aggregate, a ``fromId`` inside one skips it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from exchange.futures.models import Contract, FuturesTrade, OrderSide

CHUNK = 500


@dataclass(slots=True)
class AggTrade:
    id: int
    price: Decimal
    qty: Decimal
    first_id: int
    last_id: int
    time: dt.datetime
    buyer_maker: bool
    taker_order_id: int


def aggregate(trades: Iterable[FuturesTrade]) -> Iterator[AggTrade]:
    """Fold fills in ``trade_seq`` order into aggregates, yielding each once complete."""
    current: AggTrade | None = None
    for t in trades:
        if (
            current is not None
            and t.taker_order_id == current.taker_order_id
            and t.price == current.price
            and t.trade_seq == current.last_id + 1
        ):
            current.qty += t.qty
            current.last_id = t.trade_seq
            continue
        if current is not None:
            yield current
        current = AggTrade(
            id=t.trade_seq,
            price=t.price,
            qty=t.qty,
            first_id=t.trade_seq,
            last_id=t.trade_seq,
            time=t.time,
            buyer_maker=t.taker_side == OrderSide.SELL,
            taker_order_id=t.taker_order_id,
        )
    if current is not None:
        yield current


def contract_agg_trades(
    *,
    contract: Contract,
    from_id: int | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    limit: int,
) -> list[AggTrade]:
    """Oldest first: from ``from_id`` or ``start`` on, else the newest ``limit`` (up to ``end``)."""
    rows = FuturesTrade.objects.filter(contract=contract)
    if end is not None:
        rows = rows.filter(time__lte=end)
    if from_id is not None or start is not None:
        if from_id is not None:
            # One fill before: an aggregate that began before from_id is recognised and skipped.
            rows = rows.filter(trade_seq__gte=max(from_id - 1, 0))
        if start is not None:
            rows = rows.filter(time__gte=start)
        found: list[AggTrade] = []
        for agg in aggregate(rows.order_by("trade_seq").iterator(chunk_size=CHUNK)):
            if from_id is not None and agg.id < from_id:
                continue
            found.append(agg)
            if len(found) == limit:
                break
        return found
    return _newest(rows, limit)


def _newest(rows: QuerySet[FuturesTrade], limit: int) -> list[AggTrade]:
    """The newest ``limit`` complete aggregates: fills are read newest first in pages until
    one more aggregate has begun than asked for (the oldest read may be cut)."""
    taken: list[FuturesTrade] = []
    offset = 0
    while True:
        page = list(rows.order_by("-trade_seq")[offset : offset + CHUNK])
        taken.extend(page)
        offset += len(page)
        aggs = list(aggregate(reversed(taken)))
        if len(aggs) > limit or len(page) < CHUNK:
            complete = aggs if len(page) < CHUNK else aggs[1:]
            return complete[-limit:]
