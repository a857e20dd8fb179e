"""A bare price-time order book in plain Python: the yardstick for `bench/engine_core.py`.

It matches the bench's decoded PLACE/CANCEL commands with the least work a Python book
can do: a deque of [order id, quantity] per price, sorted price lists, an id index and
lazy removal on cancel. No validation, events, output encoding, dedupe window,
self-trade prevention or funds, and FOK is treated as IOC. The engine's figure divided
by this one, measured in the same process, says how much the engine's rules and output
cost over the floor set by the interpreter.
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from typing import Any

from matching_engine.protocol import CommandType, OrderType, Side, TimeInForce

# Plain ints, as the engine binds them on its hot path.
PLACE, CANCEL = int(CommandType.PLACE), int(CommandType.CANCEL)
BUY = int(Side.BUY)
MARKET, LIMIT_MAKER = int(OrderType.MARKET), int(OrderType.LIMIT_MAKER)
GTC = int(TimeInForce.GTC)


class BareBook:
    def __init__(self) -> None:
        self.levels: tuple[dict[int, deque[list[int]]], dict[int, deque[list[int]]]] = ({}, {})
        self.prices: tuple[list[int], list[int]] = ([], [])  # bids descending as negatives
        self.orders: dict[int, list[int]] = {}
        self.trades = 0

    def process(self, command: list[Any]) -> None:
        kind = command[1]
        if kind == PLACE:
            _, _, oid, _, side, order_type, tif, price, qty = command[:9]
            self.place(oid, side, order_type, tif, price, qty)
        elif kind == CANCEL:
            entry = self.orders.pop(command[2], None)
            if entry is not None:
                entry[1] = 0

    def place(self, oid: int, side: int, order_type: int, tif: int, price: int, qty: int) -> None:
        other = 1 - side
        levels, prices = self.levels[other], self.prices[other]
        limit = None if order_type == MARKET else price
        if order_type == LIMIT_MAKER and prices:
            best = -prices[0] if other == BUY else prices[0]
            if (best >= price) if side != BUY else (best <= price):
                return
        while qty and prices:
            best = -prices[0] if other == BUY else prices[0]
            if limit is not None and (best > limit if side == BUY else best < limit):
                break
            queue = levels[best]
            while qty and queue:
                maker = queue[0]
                if maker[1] == 0:
                    queue.popleft()
                    continue
                fill = min(qty, maker[1])
                qty -= fill
                maker[1] -= fill
                self.trades += 1
                if maker[1] == 0:
                    queue.popleft()
                    self.orders.pop(maker[0], None)
            if not queue:
                del levels[best]
                prices.pop(0)
        if qty and order_type != MARKET and tif == GTC:
            own = self.levels[side]
            queue = own.get(price)
            if queue is None:
                queue = own[price] = deque()
                insort(self.prices[side], -price if side == BUY else price)
            entry = [oid, qty]
            queue.append(entry)
            self.orders[oid] = entry
