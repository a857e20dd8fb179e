"""Per-user state of a margin group: one wallet and one position per contract.

The wallet is the whole wallet balance (Binance's `walletBalance`); an isolated
position's margin is the part of it set aside for that position alone, so the cross
wallet is `wallet - sum(isolated margins)`.
"""

from __future__ import annotations

from typing import Final

DEFAULT_LEVERAGE: Final = 20


class Position:
    """One-way position: `size` signed lots (long > 0), `cost` the signed entry notional.

    `cost` is in atoms (price * qty * multiplier summed over the opening fills, negative
    for a short), so the entry price is `cost / (size * multiplier)` and no entry price
    is ever rounded; a partial close removes `cost * closed // |size|`.

    `isolated` 1 puts the position on its own margin (`margin` atoms, part of the
    wallet, 0 for a cross position and for a flat one): its loss is capped there and it
    is liquidated alone.
    """

    __slots__ = ("size", "cost", "leverage", "isolated", "margin")

    def __init__(
        self,
        size: int = 0,
        cost: int = 0,
        leverage: int = DEFAULT_LEVERAGE,
        isolated: int = 0,
        margin: int = 0,
    ) -> None:
        self.size = size
        self.cost = cost
        self.leverage = leverage
        self.isolated = isolated
        self.margin = margin

    def upnl(self, mark: int, multiplier: int) -> int:
        return self.size * mark * multiplier - self.cost


class Account:
    __slots__ = (
        "user",
        "wallet",
        "positions",
        "orders",
        "reserve",
        "reserved",
        "reduce_only",
        "stops",
        "version",
    )

    def __init__(self, user: int, wallet: int = 0) -> None:
        self.user = user
        self.wallet = wallet
        # contract id -> position; kept while it has a size or a non-default leverage
        self.positions: dict[int, Position] = {}
        # open order id -> contract id
        self.orders: dict[int, int] = {}
        # open order id -> the initial margin plus fee it reserves; `reserved` is the sum
        self.reserve: dict[int, int] = {}
        self.reserved = 0
        self.reduce_only: set[int] = set()  # open reduce-only order ids (reserve nothing)
        self.stops: set[int] = set()  # pending conditional order ids (reserve nothing)
        # bumped on every re-index: older liquidation-index entries are stale
        self.version = 0

    def open_positions(self) -> list[tuple[int, Position]]:
        return [(c, p) for c, p in sorted(self.positions.items()) if p.size]

    def cross_wallet(self) -> int:
        w = self.wallet
        for p in self.positions.values():
            w -= p.margin
        return w
