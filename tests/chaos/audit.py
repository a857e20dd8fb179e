"""What the engine said, read back from its streams, and how the database must agree with it."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import redis
from django.db.models import Count

from exchange.markets.filters import lots_to_qty, price_to_ticks, qty_to_lots, units_to_quote
from exchange.markets.models import Market as MarketRow
from exchange.orders.models import STOP_TYPES, Order, OrderStatus, Side
from exchange.orders.models import Trade as TradeRow
from matching_client import (
    CommandType,
    DoneReason,
    OrderDone,
    ResultCode,
    StopTriggered,
    Trade,
    decode_output,
    input_stream,
    output_stream,
)
from matching_engine.futures.engine import MarginGroup
from matching_engine.market import Market

PAGE = 5000


@dataclass
class OrderFacts:
    """One order as the engine's output tells it."""

    place_results: list[ResultCode] = field(default_factory=list)
    first_place_ms: int = 0  # when the engine first saw its PLACE (input entry time)
    lots: int = 0
    quote_units: int = 0
    trades: int = 0
    dones: list[DoneReason] = field(default_factory=list)
    triggered: bool = False


@dataclass
class EngineOutput:
    """One market's output stream, summed up per order and per trade."""

    symbol: str
    input_ids: list[str]
    output_ids: list[str]
    orders: dict[int, OrderFacts]
    # trade_id -> (maker order, taker order, price ticks, qty lots); every TRADE event kept
    trades: list[tuple[int, int, int, int, int]]


def stream_ids_and_blobs(client: redis.Redis, key: str) -> list[tuple[str, bytes]]:
    """Every entry of a stream, paged."""
    entries: list[tuple[str, bytes]] = []
    start = "-"
    while True:
        page: Any = client.xrange(key, start, "+", count=PAGE)
        entries.extend((eid.decode(), fields.get(b"d", b"")) for eid, fields in page)
        if len(page) < PAGE:
            return entries
        start = "(" + page[-1][0].decode()


def engine_output(client: redis.Redis, symbol: str) -> EngineOutput:
    orders: dict[int, OrderFacts] = defaultdict(OrderFacts)
    trades: list[tuple[int, int, int, int, int]] = []
    outputs = stream_ids_and_blobs(client, output_stream(symbol))
    for entry_id, blob in outputs:
        entry = decode_output(symbol, entry_id, blob)
        if entry.command == CommandType.PLACE and entry.order_id:
            facts = orders[entry.order_id]
            facts.place_results.append(entry.result)
            facts.first_place_ms = facts.first_place_ms or entry.timestamp_ms
        for event in entry.events:
            if isinstance(event, Trade):
                trades.append(
                    (
                        event.trade_id,
                        event.maker_order_id,
                        event.taker_order_id,
                        event.price,
                        event.qty,
                    )
                )
                for order_id in (event.maker_order_id, event.taker_order_id):
                    facts = orders[order_id]
                    facts.lots += event.qty
                    facts.quote_units += event.quote
                    facts.trades += 1
            elif isinstance(event, OrderDone):
                orders[event.order_id].dones.append(event.reason)
            elif isinstance(event, StopTriggered):
                orders[event.order_id].triggered = True
    return EngineOutput(
        symbol=symbol,
        input_ids=[eid for eid, _ in stream_ids_and_blobs(client, input_stream(symbol))],
        output_ids=[eid for eid, _ in outputs],
        orders=dict(orders),
        trades=trades,
    )


def replay_differences(client: redis.Redis, symbol: str) -> list[str]:
    """Input entries whose stored output differs from an uninterrupted engine's, replaying
    the whole input stream through a fresh in-memory market."""
    market = Market(symbol)
    stored = dict(stream_ids_and_blobs(client, output_stream(symbol)))
    differences = []
    for entry_id, blob in stream_ids_and_blobs(client, input_stream(symbol)):
        if market.apply(blob) != stored.get(entry_id):
            differences.append(entry_id)
    market.validate_internal_state()
    return differences


# The engine's DONE reasons as order statuses, stated here rather than taken from clearing.
DONE_STATUS = {
    DoneReason.FILLED: OrderStatus.FILLED,
    DoneReason.CANCELED: OrderStatus.CANCELED,
    DoneReason.EXPIRED: OrderStatus.EXPIRED,
    DoneReason.STP_EXPIRED: OrderStatus.EXPIRED,
    DoneReason.LOCK_EXHAUSTED: OrderStatus.EXPIRED,
}


def expected_open_status(order: dict, facts: OrderFacts) -> str:
    if facts.trades:
        return OrderStatus.PARTIALLY_FILLED
    if order["type"] in STOP_TYPES and not facts.triggered:
        return OrderStatus.PENDING_TRIGGER
    return OrderStatus.NEW


def db_trades(market: MarketRow) -> list[tuple[int, int, int, int, int]]:
    """(trade_id, maker order, taker order, price ticks, qty lots) of every Trade row."""
    rows = TradeRow.objects.filter(market=market).values_list(
        "trade_id", "maker_order_id", "taker_order_id", "price", "qty"
    )
    return sorted(
        (tid, maker, taker, price_to_ticks(market, price), qty_to_lots(market, qty))
        for tid, maker, taker, price, qty in rows
    )


def order_mismatches(market: MarketRow, out: EngineOutput) -> list[str]:
    """Every difference between the market's Order rows and the engine's output."""
    trade_counts: Counter[int] = Counter()
    for role in ("maker_order", "taker_order"):
        rows = TradeRow.objects.filter(market=market).values(role).annotate(n=Count("id"))
        trade_counts.update({row[role]: row["n"] for row in rows})
    problems = []
    orders = Order.objects.filter(market=market).values()
    for order in orders:
        oid = order["id"]
        facts = out.orders.get(oid)
        if facts is None or not facts.place_results:
            problems.append(f"order {oid}: the engine never received it (lost)")
            continue
        first, *again = facts.place_results
        got = (
            order["status"],
            order["executed_qty"],
            order["cumulative_quote_qty"],
            trade_counts[oid],
            order["locked_remaining"],
        )
        if first != ResultCode.OK:
            want = (OrderStatus.REJECTED, Decimal(0), Decimal(0), 0, Decimal(0))
            if order["reject_reason"] != first.name:
                problems.append(f"order {oid}: reject reason {order['reject_reason']!r} != {first}")
        else:
            spent = (
                units_to_quote(market, facts.quote_units)
                if order["side"] == Side.BUY
                else lots_to_qty(market, facts.lots)
            )
            status = (
                DONE_STATUS[facts.dones[0]] if facts.dones else expected_open_status(order, facts)
            )
            want = (
                status,
                lots_to_qty(market, facts.lots),
                units_to_quote(market, facts.quote_units),
                facts.trades,
                Decimal(0) if facts.dones else order["locked"] - spent,
            )
        if got != want:
            problems.append(f"order {oid} ({order['type']}): database {got} != engine {want}")
        if any(result != ResultCode.DUPLICATE for result in again) or len(facts.dones) > 1:
            problems.append(
                f"order {oid}: PLACE results {facts.place_results}, DONEs {facts.dones}"
            )
        if order["accepted_at"] is None:
            problems.append(f"order {oid}: never marked accepted")
    unknown = set(out.orders) - {o["id"] for o in orders}
    if unknown:
        problems.append(f"engine orders without a row: {sorted(unknown)[:20]}")
    return problems


def margin_group_replay(client: redis.Redis, group: str) -> tuple[list[str], MarginGroup]:
    """Input entries of a futures margin group whose stored output differs from an
    uninterrupted engine's, and that engine's final state."""
    reference = MarginGroup(group)
    stored = dict(stream_ids_and_blobs(client, output_stream(group)))
    differences = [
        entry_id
        for entry_id, blob in stream_ids_and_blobs(client, input_stream(group))
        if reference.apply(blob) != stored.get(entry_id)
    ]
    reference.validate_internal_state()
    return differences, reference
