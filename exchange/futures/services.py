"""Futures services: place and cancel orders, set leverage, move collateral.

Margin is decided by the futures engine at match time (DESIGN.md, "One risk stage"):
the database records the request, the engine accepts or refuses it, and clearing
writes the outcome. Each request's row is committed before its command is appended
(after the commit), so a crash in between is repaired by ``resend_pending``: the
engine dedupes orders by id and transfers by request id, so a re-send is harmless.

Transfers (issue 16, item 6): spot -> futures posts the ledger entry (the user's
spot available -> the futures-collateral account) in the request's transaction,
then appends DEPOSIT; futures -> spot appends WITHDRAW only, and the spot wallet
is credited by clearing once the engine has decided (``exchange.clearing.futures``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import redis
from django.db import IntegrityError, transaction
from django.utils import timezone

from exchange.core.price_status import price_status
from exchange.core.redis import get_redis
from exchange.futures import units
from exchange.futures.engine_commands import place_command, transfer_command
from exchange.futures.engine_state import append, margin_group
from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.models import (
    FUTURES_OPEN_STATUSES,
    Contract,
    ContractStatus,
    FuturesOrder,
    FuturesTransfer,
    MarginType,
    Position,
    TransferDirection,
    TransferStatus,
)
from exchange.futures.price_band import check_order_price_band
from exchange.futures.requests import (
    FuturesOrderRequest,
    LeverageRequest,
    MarginTypeRequest,
    TransferRequest,
)
from exchange.wallets.ledger import Line, post_entry, system_account, user_account
from exchange.wallets.models import AccountKind, Asset, Bucket, JournalReason
from matching_engine.futures.protocol import MarginType as EngineMarginType
from matching_engine.futures.protocol import (
    encode_cancel,
    encode_set_leverage,
    encode_set_margin_type,
)
from matching_engine.protocol import FIELD, input_stream

logger = logging.getLogger(__name__)


def _send(group: str, payload: bytes, what: str) -> bool:
    try:
        append(group, payload)
    except (redis.RedisError, OSError):
        logger.warning("could not append %s; the sweeper re-sends it", what, exc_info=True)
        return False
    return True


def append_all(group: str, payloads: list[bytes]) -> None:
    """XADD several commands to one margin group in one round trip, in order."""
    if not payloads:
        return
    pipe = get_redis().pipeline(transaction=False)
    for payload in payloads:
        pipe.xadd(input_stream(group), {FIELD: payload})
    pipe.execute()


def check_futures_order(*, user: Any, request: FuturesOrderRequest) -> FuturesOrder | None:
    """What entry checks before the row: the contract trades, the mark is live for a
    position-opening order and a limit price lies in the PERCENT_PRICE band; returns the first order of a retried client order id."""
    contract = request.contract
    if contract.status != ContractStatus.TRADING:
        raise FuturesError(
            FuturesErrorCode.CONTRACT_NOT_TRADING, f"{contract.symbol} is not trading."
        )
    existing = FuturesOrder.objects.filter(
        user=user, client_order_id=request.client_order_id
    ).first()
    if existing is None:
        _refuse_new_positions_on_a_stale_mark(contract, request)
        check_order_price_band(request)
    return existing


def insert_futures_order(*, user: Any, request: FuturesOrderRequest) -> FuturesOrder:
    """Insert the order row (call inside a transaction); IntegrityError on a held id."""
    return FuturesOrder.objects.create(
        user=user,
        contract=request.contract,
        client_order_id=request.client_order_id,
        side=request.side,
        type=request.type,
        time_in_force=request.time_in_force,
        price=request.price,
        quantity=request.quantity,
        reduce_only=request.reduce_only,
        stop_price=request.stop_price,
        working_type=request.working_type,
        close_position=request.close_position,
        activation_price=request.activation_price,
        callback_rate=request.callback_rate,
    )


def place_futures_order(*, user: Any, request: FuturesOrderRequest) -> FuturesOrder:
    """Record the order and append its PLACE after the commit; a retried client order id
    returns the first order."""
    contract = request.contract
    existing = check_futures_order(user=user, request=request)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            order = insert_futures_order(user=user, request=request)
            payload = place_command(order)
            transaction.on_commit(
                lambda: _send(margin_group(contract), payload, f"futures order {order.pk}")
            )
    except IntegrityError:  # the same client order id, committed meanwhile
        return FuturesOrder.objects.get(user=user, client_order_id=request.client_order_id)
    return order


def _refuse_new_positions_on_a_stale_mark(contract: Contract, request: FuturesOrderRequest) -> None:
    """A stale index halts new positions (the price feed sends no marks then): only
    orders that can only shrink a position pass. A contract the feed never reported
    (no feed running yet) is left to the engine, which refuses without a mark."""
    if request.reduce_only or request.close_position:
        return
    status = price_status(contract.symbol)
    if status.updated_ms and not status.live:
        raise FuturesError(
            FuturesErrorCode.MARK_PRICE_STALE,
            f"{contract.symbol} takes only reduce-only orders while its mark price is stale "
            f"({status.reason}).",
        )


def cancel_futures_order(*, user: Any, order_id: int) -> FuturesOrder:
    """Ask the engine to cancel an open order; clearing records the outcome."""
    order = (
        FuturesOrder.objects.select_related("contract__margin_asset")
        .filter(user=user, pk=order_id)
        .first()
    )
    if order is None or order.status not in FUTURES_OPEN_STATUSES:
        raise FuturesError(FuturesErrorCode.UNKNOWN_ORDER, "Unknown or closed order.")
    payload = encode_cancel(order_id=order.pk, user_id=order.user_id)
    if not _send(margin_group(order.contract), payload, f"cancel of {order.pk}"):
        raise FuturesError(FuturesErrorCode.ENGINE_UNAVAILABLE, "Try again shortly.")
    return order


def set_leverage(*, user: Any, request: LeverageRequest) -> None:
    """Append SET_LEVERAGE; the engine refuses it above the position's bracket or when
    the higher margin would not fit, and clearing records an accepted one."""
    contract: Contract = request.contract
    payload = encode_set_leverage(
        user_id=user.pk, contract=contract.engine_id, leverage=request.leverage
    )
    if not _send(margin_group(contract), payload, f"leverage of {user.pk}"):
        raise FuturesError(FuturesErrorCode.ENGINE_UNAVAILABLE, "Try again shortly.")


def check_margin_type(*, user: Any, request: MarginTypeRequest) -> None:
    """What the database already knows the engine would refuse, with Binance's reasons:
    the same type again, an open position, or open or pending orders in the contract."""
    contract = request.contract
    position = Position.objects.filter(user=user, contract=contract).first()
    current = position.margin_type if position else MarginType.CROSSED
    if current == request.margin_type:
        raise FuturesError(FuturesErrorCode.MARGIN_TYPE_UNCHANGED, "No need to change margin type.")
    if position is not None and position.size:
        raise FuturesError(
            FuturesErrorCode.MARGIN_TYPE_HAS_POSITION,
            "Margin type cannot be changed if there exists position.",
        )
    if FuturesOrder.objects.filter(
        user=user, contract=contract, status__in=FUTURES_OPEN_STATUSES
    ).exists():
        raise FuturesError(
            FuturesErrorCode.MARGIN_TYPE_HAS_ORDERS,
            "Margin type cannot be changed if there exists open orders.",
        )


def set_margin_type(*, user: Any, request: MarginTypeRequest) -> None:
    """Append SET_MARGIN_TYPE after ``check_margin_type``; the engine decides again (an
    order placed meanwhile), and clearing records an accepted change on the position."""
    check_margin_type(user=user, request=request)
    contract = request.contract
    payload = encode_set_margin_type(
        user_id=user.pk,
        contract=contract.engine_id,
        margin_type=EngineMarginType.ISOLATED
        if request.margin_type == MarginType.ISOLATED
        else EngineMarginType.CROSSED,
    )
    if not _send(margin_group(contract), payload, f"margin type of {user.pk}"):
        raise FuturesError(FuturesErrorCode.ENGINE_UNAVAILABLE, "Try again shortly.")


def _margin_asset(code: str) -> Asset:
    asset = Asset.objects.filter(code=code).first()
    if asset is None or not Contract.objects.filter(margin_asset=asset).exists():
        raise FuturesError(
            FuturesErrorCode.INVALID_AMOUNT,
            f"{code} is not a margin asset.",
            fields={"asset": "invalid"},
        )
    return asset


def transfer(*, user: Any, request: TransferRequest) -> FuturesTransfer:
    """Move collateral between spot and futures, exactly once per client request id."""
    asset = _margin_asset(request.asset_code)
    existing = FuturesTransfer.objects.filter(
        user=user, client_request_id=request.client_request_id
    ).first()
    if existing is not None:
        return existing
    try:
        atoms = units.to_atoms_of(asset, request.amount)
    except ValueError:
        raise FuturesError(
            FuturesErrorCode.INVALID_AMOUNT,
            f"More than {asset.precision} decimal places.",
            fields={"amount": "precision"},
        ) from None
    with transaction.atomic():
        moved = FuturesTransfer.objects.create(
            user=user,
            asset=asset,
            direction=request.direction,
            amount=request.amount,
            client_request_id=request.client_request_id,
        )
        if request.direction == TransferDirection.IN:
            # Raises INSUFFICIENT_BALANCE (and rolls the row back) if spot lacks it.
            post_entry(
                reason=JournalReason.FUTURES_TRANSFER,
                reference=f"futures-transfer:{moved.pk}",
                lines=[
                    Line(user_account(user), asset, Bucket.AVAILABLE, -request.amount),
                    Line(
                        system_account(AccountKind.FUTURES_COLLATERAL),
                        asset,
                        Bucket.AVAILABLE,
                        request.amount,
                    ),
                ],
            )
        payload = transfer_command(moved, atoms)
        transaction.on_commit(lambda: _send(asset.code, payload, f"futures transfer {moved.pk}"))
    return moved


def resend_pending(*, older_than: timedelta = timedelta(seconds=5)) -> int:
    """Re-append the commands of rows the engine's output has not answered yet.

    Covers a crash (or a Redis outage) between a request's commit and its append.
    Harmless when the first append did arrive: the engine answers DUPLICATE and
    clearing ignores it.
    """
    before = timezone.now() - older_than
    sent = 0
    orders = FuturesOrder.objects.filter(accepted=False, created_at__lt=before).select_related(
        "contract__margin_asset"
    )
    for order in orders.order_by("pk")[:1000]:
        sent += _send(margin_group(order.contract), place_command(order), f"order {order.pk}")
    transfers = FuturesTransfer.objects.filter(
        status=TransferStatus.PENDING, created_at__lt=before
    ).select_related("asset")
    for moved in transfers.order_by("pk")[:1000]:
        atoms = units.to_atoms_of(moved.asset, moved.amount)
        sent += _send(moved.asset.code, transfer_command(moved, atoms), f"transfer {moved.pk}")
    return sent
