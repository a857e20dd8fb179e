"""An order list's status, Binance's two words for it, derived from its legs."""

from __future__ import annotations

from dataclasses import dataclass

from exchange.orders.models import OPEN_STATUSES, OrderStatus


@dataclass(frozen=True)
class ListStatus:
    """Binance's two words for a list: ``listStatusType`` and ``listOrderStatus``."""

    status_type: str  # EXEC_STARTED, ALL_DONE
    order_status: str  # EXECUTING, ALL_DONE, REJECT


def list_status(statuses: list[str]) -> ListStatus:
    """The list's status from its legs' statuses (nothing else is stored)."""
    if any(status in OPEN_STATUSES for status in statuses):
        return ListStatus("EXEC_STARTED", "EXECUTING")
    if OrderStatus.REJECTED in statuses:
        return ListStatus("ALL_DONE", "REJECT")
    return ListStatus("ALL_DONE", "ALL_DONE")
