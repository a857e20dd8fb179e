"""A driver for the futures state machine in tests, and the example contract.

BTCUSDT perpetual in USDT with 6 decimals (1 atom = 0.000001 USDT), tick 0.1 USDT,
lot 0.001 BTC: one tick*lot is 0.0001 USDT = 100 atoms (the multiplier).
"""

from __future__ import annotations

from typing import Any

import msgpack

from matching_engine.book import OrderBook
from matching_engine.futures import protocol as fp
from matching_engine.futures.engine import MarginGroup

BTC = 1
MULT = 100
USDT = 1_000_000  # atoms per USDT
TICKS_PER_USDT = 10
LOTS_PER_BTC = 1000
BRACKETS = [
    (50_000 * USDT, 125, 400_000),  # up to 50k USDT: 125x, 0.40 %
    (250_000 * USDT, 100, 500_000),  # up to 250k USDT: 100x, 0.50 %
    (10**12 * USDT, 20, 2_500_000),  # above: 20x, 2.50 %
]
MAKER_FEE = 20_000  # 0.02 %
TAKER_FEE = 50_000  # 0.05 %
LIQUIDATION_FEE = 500_000  # 0.50 %
FUNDING_CAP = 750_000  # 0.75 %


def usdt(amount: float | int) -> int:
    return round(amount * USDT)


def px(usdt_price: float | int) -> int:
    return round(usdt_price * TICKS_PER_USDT)


class FDriver:
    """Sends encoded commands to a MarginGroup and decodes each output entry."""

    def __init__(self, book_factory: type[OrderBook]) -> None:
        self.book_factory = book_factory
        self.group = MarginGroup("USDT", book_factory)
        self.outputs: list[bytes] = []
        self.next_id = 0
        self.send(
            fp.encode_contract_create(
                contract=BTC,
                symbol="BTCUSDT",
                multiplier=MULT,
                min_notional=usdt(5),
                maker_fee=MAKER_FEE,
                taker_fee=TAKER_FEE,
                liquidation_fee=LIQUIDATION_FEE,
                funding_cap=FUNDING_CAP,
                brackets=BRACKETS,
            )
        )

    def send(self, blob: bytes) -> list[Any]:
        out = self.group.apply(blob)
        self.outputs.append(out)
        self.group.validate_internal_state()
        decoded: list[Any] = msgpack.unpackb(out)
        return decoded

    def deposit(self, user: int, amount: int) -> int:
        self.next_id += 1
        return int(
            self.send(fp.encode_deposit(request_id=self.next_id, user_id=user, amount=amount))[2]
        )

    def mark(self, price: int) -> list[Any]:
        return self.send(fp.encode_mark_price(contract=BTC, price=price))

    def place(self, user: int, side: int, price: int, qty: int, **kw: Any) -> list[Any]:
        self.next_id += 1
        return self.send(
            fp.encode_place(
                order_id=self.next_id,
                user_id=user,
                contract=BTC,
                side=side,
                price=price,
                quantity=qty,
                **kw,
            )
        )

    def wallet(self, user: int) -> int:
        return self.group.accounts[user].wallet

    def size(self, user: int) -> int:
        pos = self.group.accounts[user].positions.get(BTC)
        return pos.size if pos is not None else 0


def events_of(output: list[Any], kind: int) -> list[list[Any]]:
    return [list(e) for e in output[5] if e[0] == kind]
