"""Add margin to an isolated position or take some back (Binance's ``positionMargin``).

The engine decides (ADJUST_ISOLATED_MARGIN: adding is bounded by the cross wallet and
available balance, taking back keeps the margin after any unrealized loss at or above
the initial margin at the mark); clearing records its answer on the request's row and
the position's new margin. The command has no request id, so clearing answers the
user's undecided row in the contract: one is in flight at a time (a database
constraint), and the command is appended once that row is committed.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import redis
from django.db import IntegrityError, transaction
from django.utils import timezone

from exchange.futures import units
from exchange.futures.engine_state import append, margin_group
from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.models import Contract, IsolatedMarginChange, MarginType, Position
from exchange.futures.requests import IsolatedMarginRequest
from exchange.matching.landed import APPEND_WINDOW_MS, settle_unlanded
from matching_engine.futures.protocol import encode_adjust_isolated_margin
from matching_engine.protocol import input_stream

logger = logging.getLogger(__name__)
POLL_S = 0.05
# An undecided change older than this whose command is not in the stream never landed.
SETTLE_AFTER = dt.timedelta(seconds=30)


def adjust_isolated_margin(*, user: Any, request: IsolatedMarginRequest) -> IsolatedMarginChange:
    """Record the change and append ADJUST_ISOLATED_MARGIN; clearing decides it (``result``)."""
    contract = request.contract
    try:
        units.to_atoms(contract, request.amount)  # the engine's atoms hold it exactly
    except ValueError:
        raise FuturesError(
            FuturesErrorCode.INVALID_AMOUNT,
            "Too many decimal places.",
            fields={"amount": "precision"},
        ) from None
    position = Position.objects.filter(user=user, contract=contract).first()
    if position is None or position.margin_type != MarginType.ISOLATED:
        raise FuturesError(
            FuturesErrorCode.NOT_ISOLATED, "Add margin only support for isolated position."
        )
    if not position.size:
        raise FuturesError(
            FuturesErrorCode.NO_POSITION, "Cannot add position margin: position is 0."
        )
    try:
        with transaction.atomic():
            change = IsolatedMarginChange.objects.create(
                user=user, contract=contract, amount=request.amount
            )
    except IntegrityError:  # isolated_margin_one_pending
        raise FuturesError(
            FuturesErrorCode.MARGIN_CHANGE_PENDING,
            "The position's previous margin change is still being processed; try again.",
        ) from None
    try:
        append(margin_group(contract), margin_command(change))
    except (redis.RedisError, OSError) as exc:
        logger.warning("margin change %s: append failed; left pending", change.pk, exc_info=True)
        raise FuturesError(
            FuturesErrorCode.STATUS_UNKNOWN,
            "Timeout waiting for the engine; the margin change's status is unknown.",
        ) from exc
    return change


def margin_command(change: IsolatedMarginChange) -> bytes:
    """The ADJUST_ISOLATED_MARGIN of a change: the same bytes its request appended."""
    contract = change.contract
    return encode_adjust_isolated_margin(
        user_id=change.user_id,
        contract=contract.engine_id,
        delta=units.to_atoms(contract, change.amount),
    )


def settle_lost_margin_changes(*, older_than: dt.timedelta = SETTLE_AFTER) -> int:
    """Mark ENGINE_UNAVAILABLE the undecided changes whose command is not in the margin
    group's input stream ``older_than`` after they were made: it never landed, and the
    position's margin may be changed again. One that landed is left to clearing.

    The command has no request id, so an earlier change of the same amount has the same
    bytes: the change landed when the window holds more such commands than the engine
    answered for the user's other changes of that amount made in the window."""
    cutoff = timezone.now() - older_than
    pending = IsolatedMarginChange.objects.filter(result="", created_at__lt=cutoff)
    return settle_unlanded(
        pending.select_related("contract__margin_asset").order_by("pk")[:1000],
        sent=lambda c: (input_stream(margin_group(c.contract)), margin_command(c)),
        answered=_answered_alike,
    )


def _answered_alike(change: IsolatedMarginChange) -> int:
    """The user's other changes of the same amount around ``change`` that the engine
    answered: their commands have the same bytes."""
    window = dt.timedelta(milliseconds=APPEND_WINDOW_MS)
    return (
        IsolatedMarginChange.objects.filter(
            user_id=change.user_id,
            contract_id=change.contract_id,
            amount=change.amount,
            created_at__range=(change.created_at - window, change.created_at + window),
        )
        .exclude(pk=change.pk)
        .exclude(result__in=("", FuturesErrorCode.ENGINE_UNAVAILABLE.value))
        .count()
    )


def wait_for_margin_change(change: IsolatedMarginChange, *, timeout: float) -> str:
    """The engine's answer as clearing recorded it ("OK" or the refusal's name), or ""."""
    deadline = time.monotonic() + timeout
    while True:
        result = (
            IsolatedMarginChange.objects.filter(pk=change.pk)
            .values_list("result", flat=True)
            .first()
        )
        if result or time.monotonic() >= deadline:
            return result or ""
        time.sleep(POLL_S)


def margin_change_history(
    *,
    user: Any,
    contract: Contract,
    add: bool | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    limit: int,
) -> list[IsolatedMarginChange]:
    """The user's accepted changes in ``contract`` (only additions with ``add``, only
    withdrawals with ``add=False``), newest first."""
    rows = IsolatedMarginChange.objects.filter(user=user, contract=contract, result="OK")
    if add is not None:
        rows = rows.filter(amount__gt=0) if add else rows.filter(amount__lt=0)
    if start is not None:
        rows = rows.filter(created_at__gte=start)
    if end is not None:
        rows = rows.filter(created_at__lte=end)
    return list(
        rows.select_related("contract__margin_asset").order_by("-created_at", "-pk")[:limit]
    )
