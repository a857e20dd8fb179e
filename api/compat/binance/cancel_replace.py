"""``POST /api/v3/order/cancelReplace``: cancel an order and place another, one engine step.

The answer is Binance's: ``cancelResult`` / ``newOrderResult`` (SUCCESS,
FAILURE, NOT_ATTEMPTED) with each half's response. When either half failed
the HTTP answer is an error whose ``data`` holds the same four fields:
-2022 "Order cancel-replace failed." (400) when nothing was placed, -2021
"Order cancel-replace partially failed." (409) when one half succeeded.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.base import BinanceView
from api.compat.binance.errors import BinanceError, from_domain
from api.compat.binance.orders import order_request, placed_answer, response_type
from api.compat.binance.shapes import canceled_json
from exchange.core.errors import DomainError
from exchange.orders.models import Order, OrderStatus
from exchange.orders.outcome import closed, wait_for_orders
from exchange.orders.replace import do_replace_order
from exchange.orders.requests import CancelRequest, ReplaceRequest

FAILED = (-2022, "Order cancel-replace failed.", 400)
PARTIALLY_FAILED = (-2021, "Order cancel-replace partially failed.", 409)


def _error_json(exc: BinanceError) -> dict[str, Any]:
    return {"code": exc.code, "msg": exc.msg}


def _cancel_error(exc: DomainError) -> dict[str, Any]:
    return _error_json(from_domain(exc, cancelling=True))


def _answer(
    cancel: dict[str, Any] | None,
    cancel_ok: bool,
    new: dict[str, Any] | None,
    new_result: str,
) -> Response:
    body: dict[str, object] = {
        "cancelResult": "SUCCESS" if cancel_ok else "FAILURE",
        "newOrderResult": new_result,
        "cancelResponse": cancel,
        "newOrderResponse": new,
    }
    if cancel_ok and new_result == "SUCCESS":
        return Response(body)
    code, msg, status = FAILED if new_result != "SUCCESS" and not cancel_ok else PARTIALLY_FAILED
    raise BinanceError(code, msg, status, data=body)


class CancelReplaceView(BinanceView):
    signed = True
    key_permissions: ClassVar[dict[str, str]] = {"POST": "trade"}

    def post(self, request: Request) -> Response:
        query = self.params(request)
        market = params.market(query, cached=True)
        params.required(query, "cancelReplaceMode")
        cancel_id = params.optional_int(query, "cancelOrderId")
        cancel_client_id = query.get("cancelOrigClientOrderId") or None
        if cancel_id is None and cancel_client_id is None:
            raise BinanceError(
                -1102,
                "Mandatory parameter 'cancelOrderId' was not sent, was empty/null, or malformed.",
            )
        resp_type = response_type(query)
        replace = ReplaceRequest.parse(
            cancel=CancelRequest.parse(
                symbol=market.symbol, order_id=cancel_id, client_order_id=cancel_client_id
            ),
            order=order_request(query),
            mode=query["cancelReplaceMode"],
        )
        user = self.user(request)
        try:
            outcome = do_replace_order(user=user, request=replace)
        except DomainError as exc:
            if exc.code in ("ORDER_NOT_FOUND", "ORDER_NOT_OPEN"):  # STOP_ON_FAILURE
                return _answer(_cancel_error(exc), False, None, "NOT_ATTEMPTED")
            raise
        cancel_json: dict[str, Any] | None = None
        cancel_ok = outcome.replaced is not None
        if outcome.cancel_error is not None:
            cancel_json = _cancel_error(outcome.cancel_error)
        try:
            new_json: dict[str, Any] = placed_answer(outcome.order, resp_type)
            new_result = "SUCCESS"
        except BinanceError as exc:
            new_json, new_result = _error_json(exc), "FAILURE"
        if outcome.replaced is not None:
            [old] = wait_for_orders([outcome.replaced], until=closed, timeout=2.0)
            cancel_ok = old.status == OrderStatus.CANCELED
            cancel_json = canceled_json(old) if cancel_ok else _unknown_order()
            if not cancel_ok and new_result == "FAILURE" and _refused_for_cancel(outcome.order):
                new_result, new_json = "NOT_ATTEMPTED", None  # type: ignore[assignment]
        return _answer(cancel_json, cancel_ok, new_json, new_result)


def _unknown_order() -> dict[str, Any]:
    return {"code": -2011, "msg": "Unknown order sent."}


def _refused_for_cancel(order: Order) -> bool:
    """The engine refused the new order because its cancel failed (STOP_ON_FAILURE)."""
    order.refresh_from_db(fields=["status", "reject_reason"])
    return order.reject_reason in ("UNKNOWN_ORDER", "USER_MISMATCH")
