"""Cancel-replace: cancel one order and place another as ONE engine command.

The engine runs the REPLACE as one step, so nobody trades between the cancel
and the new order, and a new order on the canceled one's side carries the
canceled order's unused lock (the engine adds it to the new order's lock,
clearing moves it in the database). Entry therefore locks only what the new
order needs beyond what the old one still holds, so repricing an order that
holds all of a balance works (ADR 0028). If a fill of the old order is still
on its way to clearing, the carried lock is smaller than counted here and
the engine refuses the new order with INSUFFICIENT_LOCK; the cancel stands,
as Binance's "cancel succeeded, new order failed".

With ``STOP_ON_FAILURE`` a cancel that fails (the order is closed, or closes in
the engine first) places nothing; with ``ALLOW_FAILURE`` the new order is
placed anyway, from the user's own funds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from exchange.accounts.models import User
from exchange.orders import engine_commands as engine_gateway
from exchange.orders.actions import (
    _duplicate_or_raise,
    _hold_for,
    _insufficient,
    _order_row,
    check_place_order,
)
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.models import Order, ReplaceMode
from exchange.orders.requests import ReplaceRequest
from exchange.orders.selectors import access_order
from exchange.risk.stage import Hold
from exchange.wallets.errors import WalletError
from exchange.wallets.ledger import Line, Posting, post_entries, user_account
from exchange.wallets.models import Bucket, JournalReason


@dataclass(frozen=True)
class ReplaceOutcome:
    """The new order, and the order asked to be canceled (or why it could not be)."""

    order: Order
    replaced: Order | None
    cancel_error: OrderError | None


def _order_to_cancel(user: User, request: ReplaceRequest) -> Order:
    """The open order named by the request's cancel part, in the new order's market."""
    cancel = request.cancel
    order = access_order(
        user=user,
        symbol=request.order.market.symbol,
        order_id=cancel.order_id,
        client_order_id=cancel.client_order_id,
    )
    if not order.is_open:
        raise OrderError(OrderErrorCode.ORDER_NOT_OPEN, "Unknown order sent.")
    if order.order_list_id is not None:
        # Its list's hold may sit on the other leg's row: cancel the list instead.
        raise OrderError(OrderErrorCode.ORDER_IN_LIST, "An order list's leg cannot be replaced.")
    return order


def do_replace_order(*, user: User, request: ReplaceRequest) -> ReplaceOutcome:
    """Check, lock what the new order needs beyond the old one's lock, insert it, and
    send one REPLACE after commit. Raises the cancel's OrderError under
    STOP_ON_FAILURE, the new order's error in either mode (nothing written)."""
    try:
        old: Order | None = _order_to_cancel(user, request)
        cancel_error = None
    except OrderError as exc:
        if request.mode == ReplaceMode.STOP_ON_FAILURE:
            raise
        old, cancel_error = None, exc
    check_place_order(request=request.order)
    hold = _hold_for(user, request.order)
    try:
        with transaction.atomic():
            carried = Decimal(0)
            if old is not None:
                old = Order.objects.select_for_update().select_related("market").get(pk=old.pk)
                if old.locked_asset_id == hold.asset.pk and old.side == request.order.side:
                    carried = min(old.locked_remaining, hold.amount)
            amount = hold.amount - carried
            if hold.amount <= 0:
                raise _insufficient(hold.asset)
            row = _order_row(user, request.order, Hold(asset=hold.asset, amount=amount))
            row.replaces_id = old.pk if old is not None else None
            row.replace_mode = request.mode
            row.lock_from_replaced = hold.amount - amount
            row.save(force_insert=True)
            if amount > 0:
                account = user_account(user)
                post_entries(
                    [
                        Posting(
                            reason=JournalReason.ORDER_LOCK,
                            reference=f"order:{row.pk}",
                            lines=[
                                Line(account, hold.asset, Bucket.AVAILABLE, -amount),
                                Line(account, hold.asset, Bucket.LOCKED, amount),
                            ],
                        )
                    ],
                    savepoint=False,
                )
            if old is not None:
                old.cancel_requested_at = timezone.now()
                Order.objects.filter(pk=old.pk).update(cancel_requested_at=old.cancel_requested_at)
                replaced = old
                transaction.on_commit(lambda: engine_gateway.send_replace(row, replaced))
            else:
                transaction.on_commit(lambda: engine_gateway.send_places([row]))
    except WalletError as exc:
        raise _insufficient(hold.asset) from exc
    except IntegrityError as exc:
        raise _duplicate_or_raise(exc) from exc
    return ReplaceOutcome(order=row, replaced=old, cancel_error=cancel_error)
