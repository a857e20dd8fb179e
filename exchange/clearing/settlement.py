"""Per-product settlement behind one small protocol, so the runner knows no product.

The runner (``runner.py``, ``batch.py``) reads, orders, checkpoints, parks and
publishes; what an entry does to the database and which user events follow
is the product's. Spot settles orders, trades and balances
(``spot/settle.py``); futures registers its own ``Settlement`` here and the
runner stays as it is (ADR 0017).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from exchange.clearing.spot.settle import BatchResult, settle_spot
from exchange.clearing.user_events import publish_batch
from exchange.markets.models import Market
from matching_client import OutputEntry

SPOT = "spot"


class Settled(Protocol):
    """What a settled batch tells the runner (the product keeps the rest for its events)."""

    @property
    def trades(self) -> int: ...

    @property
    def has_news(self) -> bool: ...


R = TypeVar("R", bound=Settled)


class Settlement(Protocol[R]):
    """One product's settlement of a market's engine output; ``R`` is what a batch gives."""

    def settle(self, market: Market, entries: Sequence[OutputEntry]) -> R:
        """Apply ``entries`` (not cleared before, in engine order) inside the batch transaction."""
        ...

    def publish(self, market: Market, entries: Sequence[OutputEntry], settled: R) -> None:
        """Send the users' events of a committed batch (on the publisher thread)."""
        ...


class SpotSettlement:
    """Spot: funds locked at entry, trades move balances, unused locks are released."""

    def settle(self, market: Market, entries: Sequence[OutputEntry]) -> BatchResult:
        return settle_spot(market, entries)

    def publish(self, market: Market, entries: Sequence[OutputEntry], settled: BatchResult) -> None:
        publish_batch(market, entries, settled)


_SETTLEMENTS: dict[str, Settlement[Any]] = {SPOT: SpotSettlement()}


def settlement_for(product: str) -> Settlement[Any]:
    """The settlement of ``product`` (``KeyError`` for a product nobody registered)."""
    return _SETTLEMENTS[product]


def product_of(market: Market) -> str:
    """The product a market trades: every market is spot until futures lists contracts."""
    return SPOT
