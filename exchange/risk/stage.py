"""The risk stage: one place that decides what an order holds, per product.

Order entry asks the product's stage what to move from available to locked
before the engine hears of an order, and in what units the engine is told of
that hold; both order-entry paths (the ORM one and PostgreSQL's one statement)
write exactly the stage's numbers. Spot (``risk.spot``) holds funds in the
database at entry. A product whose risk is decided elsewhere (futures: margin
inside the futures engine, at match time) implements the same interface in its
own module and registers it in ``risk.products``; spot's rules stay untouched.

This layer sits below ``orders``: it reads an order through ``OrderTerms``,
which ``orders.requests.OrderRequest`` satisfies, never through the order model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from exchange.markets.models import Market
from exchange.wallets.models import Asset

# orders.models.Side's values: the stage sits below orders, so it compares the text.
BUY = "BUY"
SELL = "SELL"


class OrderTerms(Protocol):
    """What the risk stage reads of an order (``orders.requests.OrderRequest`` has it)."""

    @property
    def market(self) -> Market: ...
    @property
    def side(self) -> str: ...
    @property
    def price(self) -> Decimal | None: ...
    @property
    def stop_price(self) -> Decimal | None: ...
    @property
    def quantity(self) -> Decimal | None: ...
    @property
    def quote_order_qty(self) -> Decimal | None: ...


@dataclass(frozen=True, slots=True)
class Hold:
    """What an order holds from entry until it ends: ``amount`` of ``asset``."""

    asset: Asset
    amount: Decimal


class RiskStage(Protocol):
    """A product's funds-and-risk decisions, asked by order entry."""

    def hold_for(
        self,
        *,
        user_id: int,
        order: OrderTerms,
        last_price: Callable[[], Decimal | None],
    ) -> Hold:
        """What entry moves from the user's available to locked for ``order``.

        A hold of zero or less refuses the order as insufficient balance.
        ``last_price`` is the market's last trade price, asked only if a rule
        needs it (trades belong to orders, above this layer).
        """
        ...

    def hold_for_list(
        self,
        *,
        user_id: int,
        orders: Sequence[OrderTerms],
        last_price: Callable[[], Decimal | None],
    ) -> Hold:
        """The one hold of an order list whose legs share one side and of which at most
        one ever spends (an OCO: the first leg to act cancels the other)."""
        ...

    def engine_lock(self, *, market: Market, side: str, amount: Decimal) -> int:
        """The hold in the engine's integer units: the engine stops an order whose
        hold runs out, and returns what is left of it when the order ends."""
        ...
