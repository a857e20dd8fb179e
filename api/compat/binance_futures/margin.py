"""Signed ``/fapi/v1`` margin settings: ``marginType`` (CROSSED / ISOLATED),
``positionMargin`` (add to or take back from an isolated position's margin) and
``positionMargin/history``.

Both changes are decided by the engine; the answers wait (bounded by
``BINANCE_ORDER_WAIT_SECONDS``) for clearing to record them, so a refusal is the HTTP
answer with Binance's code. What the database already shows is refused before the
engine hears of it (``check_margin_type``, the position checks of
``adjust_isolated_margin``), and a refusal changes nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.errors import BinanceError, mandatory
from api.compat.binance.shapes import dec, ms
from api.compat.binance_futures.base import FuturesView
from api.compat.binance_futures.errors import invalid_value
from exchange.futures.isolated_margin import (
    adjust_isolated_margin,
    margin_change_history,
    wait_for_margin_change,
)
from exchange.futures.models import IsolatedMarginChange, MarginType
from exchange.futures.outcome import wait_for_margin_type
from exchange.futures.requests import IsolatedMarginRequest, MarginTypeRequest
from exchange.futures.selectors import get_contract
from exchange.futures.services import set_margin_type

UNKNOWN_OUTCOME = BinanceError(
    -1007,
    "Timeout waiting for response from backend server. Send status unknown; "
    "execution status unknown.",
)
# The engine's refusals of ADJUST_ISOLATED_MARGIN (FuturesResult names), by direction.
_ADD_REFUSED = BinanceError(-4050, "Cross balance insufficient.")
_REDUCE_REFUSED = BinanceError(-4051, "Isolated balance insufficient.")
_NOT_ISOLATED = BinanceError(-4049, "Add margin only support for isolated position.")
_TYPES = {"1": True, "2": False}


class MarginTypeView(FuturesView):
    """-4046 for the type already set, -4048 with a position, -4047 with open orders."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"POST": 1}
    key_permissions: ClassVar[dict[str, str]] = {"POST": "trade"}

    def post(self, request: Request) -> Response:
        query = self.params(request)
        contract = get_contract(query.get("symbol", ""))
        if not query.get("marginType"):
            raise mandatory("marginType")
        if query["marginType"].upper() not in MarginType.values:
            raise invalid_value("marginType")
        user = self.user(request)
        change = MarginTypeRequest.parse(symbol=contract.symbol, margin_type=query["marginType"])
        set_margin_type(user=user, request=change)
        if not wait_for_margin_type(
            user_id=user.pk,
            contract_id=contract.pk,
            margin_type=change.margin_type,
            timeout=float(settings.BINANCE_ORDER_WAIT_SECONDS),
        ):
            raise UNKNOWN_OUTCOME
        return Response({"code": 200, "msg": "success"})


class PositionMarginView(FuturesView):
    """``type`` 1 adds ``amount`` from the cross wallet, 2 takes it back."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"POST": 1}
    key_permissions: ClassVar[dict[str, str]] = {"POST": "trade"}

    def post(self, request: Request) -> Response:
        query = self.params(request)
        contract = get_contract(params.required(query, "symbol"))
        amount = params.required(query, "amount")
        kind = params.required(query, "type")
        if kind not in _TYPES:
            raise invalid_value("type")
        if query.get("positionSide", "BOTH").upper() != "BOTH":
            raise BinanceError(-4061, "Order's position side does not match user's setting.")
        add = _TYPES[kind]
        change = adjust_isolated_margin(
            user=self.user(request),
            request=IsolatedMarginRequest.parse(symbol=contract.symbol, amount=amount, add=add),
        )
        result = wait_for_margin_change(change, timeout=float(settings.BINANCE_ORDER_WAIT_SECONDS))
        if result == "OK":
            return Response(
                {
                    "amount": abs(change.amount),
                    "code": 200,
                    "msg": "Successfully modify position margin.",
                    "type": int(kind),
                }
            )
        if result == "NOT_ISOLATED":
            raise _NOT_ISOLATED
        if result == "INSUFFICIENT_MARGIN":
            raise _ADD_REFUSED if add else _REDUCE_REFUSED
        if not result:
            raise UNKNOWN_OUTCOME
        raise BinanceError(-1130, "Data sent for parameter 'amount' is not valid.")


def _history_json(row: IsolatedMarginChange) -> dict[str, Any]:
    return {
        "symbol": row.contract.symbol,
        "type": 1 if row.amount > 0 else 2,
        "deltaType": "USER_ADJUST",
        "amount": dec(abs(row.amount)),
        "asset": row.contract.margin_asset.code,
        "time": ms(row.created_at),
        "positionSide": "BOTH",
    }


class PositionMarginHistoryView(FuturesView):
    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 1}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        contract = get_contract(params.required(query, "symbol"))
        kind = query.get("type")
        if kind is not None and kind not in _TYPES:
            raise invalid_value("type")
        rows = margin_change_history(
            user=self.user(request),
            contract=contract,
            add=_TYPES[kind] if kind is not None else None,
            start=params.moment(params.optional_ms(query, "startTime")),
            end=params.moment(params.optional_ms(query, "endTime")),
            limit=params.limit(query, default=500, maximum=500),
        )
        return Response([_history_json(r) for r in reversed(rows)])
