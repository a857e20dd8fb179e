"""Per-user state of a margin group: one cross-margin wallet and one position per contract."""

from __future__ import annotations

DEFAULT_LEVERAGE = 20


class Position:
    """One-way position: `size` signed lots (long > 0), `cost` the signed entry notional.

    `cost` is in atoms (price * qty * multiplier summed over the opening fills, negative
    for a short), so the entry price is `cost / (size * multiplier)` and no entry price
    is ever rounded; a partial close removes `cost * closed // |size|`.
    """

    __slots__ = ("size", "cost", "leverage")

    def __init__(self, size: int = 0, cost: int = 0, leverage: int = DEFAULT_LEVERAGE) -> None:
        self.size = size
        self.cost = cost
        self.leverage = leverage

    def upnl(self, mark: int, multiplier: int) -> int:
        return self.size * mark * multiplier - self.cost


class Account:
    __slots__ = ("user", "wallet", "positions", "orders", "version", "indexed")

    def __init__(self, user: int, wallet: int = 0) -> None:
        self.user = user
        self.wallet = wallet
        # contract id -> position; kept while it has a size or a non-default leverage
        self.positions: dict[int, Position] = {}
        # open order id -> contract id
        self.orders: dict[int, int] = {}
        # bumped on every re-index: older liquidation-index entries are stale
        self.version = 0
        self.indexed = False

    def open_positions(self) -> list[tuple[int, Position]]:
        return [(c, p) for c, p in sorted(self.positions.items()) if p.size]
