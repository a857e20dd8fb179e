"""What the engine said, read back from its streams, to compare with the database."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import redis

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
