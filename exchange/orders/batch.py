"""Batch order entry: up to ``MAX_BATCH`` orders, each accepted or refused on its own.

Every order gets its own answer slot. The accepted ones are inserted in ONE
database transaction, each under its own savepoint (a refused order, short of
funds or with a held client order id, leaves the others alone), and their
PLACEs go to the engine in ONE append after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from exchange.accounts.models import User
from exchange.core.errors import DomainError
from exchange.orders import engine_commands as engine_gateway
from exchange.orders.actions import (
    _duplicate_or_raise,
    _hold_for,
    _insufficient,
    _order_row,
    check_place_order,
)
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.models import Order
from exchange.orders.place_statement import place_in_one_statement
from exchange.orders.requests import OrderRequest
from exchange.wallets.errors import WalletError
from exchange.wallets.ledger import Line, Posting, post_entries, user_account
from exchange.wallets.models import Bucket, JournalReason

MAX_BATCH = 10


@dataclass(frozen=True)
class BatchSlot:
    """One order's answer: the order placed, or why it was refused."""

    order: Order | None
    error: DomainError | None


def check_batch_size(count: int, *, maximum: int = MAX_BATCH) -> None:
    if not 1 <= count <= maximum:
        raise OrderError(
            OrderErrorCode.INVALID_BATCH,
            f"A batch holds 1 to {maximum} orders, not {count}.",
            fields={"orders": "invalid"},
        )


def _insert(user: User, request: OrderRequest) -> Order:
    """Lock the funds and insert one order under a savepoint; nothing stays on refusal."""
    hold = _hold_for(user, request)
    if hold.amount <= 0:
        raise _insufficient(hold.asset)
    row = _order_row(user, request, hold)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                if not place_in_one_statement(row):
                    raise _insufficient(hold.asset)
                return row
            row.save(force_insert=True)
            post_entries(
                [
                    Posting(
                        reason=JournalReason.ORDER_LOCK,
                        reference=f"order:{row.pk}",
                        lines=[
                            Line(user_account(user), hold.asset, Bucket.AVAILABLE, -row.locked),
                            Line(user_account(user), hold.asset, Bucket.LOCKED, row.locked),
                        ],
                    )
                ],
                savepoint=False,
            )
    except WalletError as exc:
        raise _insufficient(hold.asset) from exc
    except IntegrityError as exc:
        raise _duplicate_or_raise(exc) from exc
    return row


def place_order_batch(
    *, user: User, requests: Sequence[OrderRequest | DomainError]
) -> list[BatchSlot]:
    """Place each request that parsed (a DomainError stands for one that did not).

    Returns one slot per request, in order. Call ``check_batch_size`` first.
    """
    slots: list[BatchSlot] = []
    placed: list[Order] = []
    with transaction.atomic():
        for request in requests:
            if isinstance(request, DomainError):
                slots.append(BatchSlot(None, request))
                continue
            try:
                check_place_order(request=request)
                order = _insert(user, request)
            except DomainError as exc:
                slots.append(BatchSlot(None, exc))
                continue
            placed.append(order)
            slots.append(BatchSlot(order, None))
        if placed:
            transaction.on_commit(lambda: engine_gateway.send_places(placed))
    return slots
