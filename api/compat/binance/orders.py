"""Signed order endpoints: ``order`` (POST/GET/DELETE), ``order/test``, ``openOrders``, ``allOrders``.

Answers that promise the state after matching (newOrderRespType RESULT or
FULL; every LIMIT_MAKER and stop order, so a post-only order that would take
or a stop that would trigger at once is refused with -2010 as Binance does;
cancels) wait up to ``BINANCE_ORDER_WAIT_SECONDS`` for clearing to record
the engine's answer (``exchange.orders.outcome``); past that they return the
order's current state (for a place: status NEW, no fills; for a cancel: the
open order).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.base import BinanceView
from api.compat.binance.errors import (
    UNKNOWN_ORDER_ON_CANCEL,
    BinanceError,
    from_rejection,
    illegal,
    mandatory,
)
from api.compat.binance.shapes import order_ack_json, order_json, order_result_json
from exchange.orders.actions import (
    check_place_order,
    do_cancel_all_orders,
    do_cancel_order,
    do_place_order,
)
from exchange.orders.history import order_history_for_user
from exchange.orders.models import STOP_TYPES, Order, OrderStatus, OrderType
from exchange.orders.outcome import accepted, closed, wait_for_orders
from exchange.orders.requests import CancelRequest, OrderRequest
from exchange.orders.selectors import access_order, order_list_open, trade_list_for_user

RESPONSE_TYPES = ("ACK", "RESULT", "FULL")
# Types the engine may refuse on arrival (post-only would take, stop would trigger):
# their answer waits for it even for ACK, so the refusal is the HTTP answer, as on Binance.
ENGINE_CHECKED = frozenset({OrderType.LIMIT_MAKER} | STOP_TYPES)
MAX_FILLS = 1000


def wait_seconds() -> float:
    return float(settings.BINANCE_ORDER_WAIT_SECONDS)


def order_request(query: dict[str, str]) -> OrderRequest:
    """Binance's order parameters as the order request (symbol checked first: -1121)."""
    params.market(query, cached=True)
    for name in ("side", "type"):
        params.required(query, name)
    return OrderRequest.parse(
        symbol=query["symbol"],
        side=query["side"],
        type=query["type"],
        quantity=query.get("quantity"),
        quote_order_qty=query.get("quoteOrderQty"),
        price=query.get("price"),
        stop_price=query.get("stopPrice"),
        trailing_delta=query.get("trailingDelta"),
        time_in_force=query.get("timeInForce"),
        client_order_id=query.get("newClientOrderId"),
        self_trade_prevention=query.get("selfTradePreventionMode"),
    )


def response_type(query: dict[str, str]) -> str:
    wanted = query.get("newOrderRespType", "").upper()
    if wanted == "":
        # Binance: MARKET and LIMIT default to FULL, every other type to ACK.
        return "FULL" if query.get("type", "").upper() in ("MARKET", "LIMIT") else "ACK"
    if wanted not in RESPONSE_TYPES:
        raise illegal("newOrderRespType")
    return wanted


def _order_id(query: dict[str, str]) -> tuple[int | None, str | None]:
    order_id = params.optional_int(query, "orderId")
    client_id = query.get("origClientOrderId") or None
    if order_id is None and client_id is None:
        raise mandatory("orderId")
    return order_id, client_id


def placed_answer(order: Order, resp_type: str) -> dict[str, Any]:
    """The answer to a placed order in ``newOrderRespType``; waits for the engine when the
    answer needs it. Raises the -2010 BinanceError of an order the engine rejected."""
    if resp_type == "ACK" and order.type not in ENGINE_CHECKED:
        return order_ack_json(order)
    [order] = wait_for_orders([order], until=accepted, timeout=wait_seconds())
    if order.status == OrderStatus.REJECTED:
        raise from_rejection(order.reject_reason)
    if resp_type == "ACK":
        return order_ack_json(order)
    fills = (
        trade_list_for_user(user=order.user, order=order, limit=MAX_FILLS)
        if resp_type == "FULL"
        else None
    )
    return order_result_json(order, fills)


class OrderView(BinanceView):
    signed = True
    key_permissions: ClassVar[dict[str, str]] = {"POST": "trade", "DELETE": "trade"}
    weights: ClassVar[dict[str, int]] = {"POST": 1, "GET": 4, "DELETE": 1}

    def post(self, request: Request) -> Response:
        query = self.params(request)
        new_order = order_request(query)
        check_place_order(request=new_order)
        resp_type = response_type(query)
        order = do_place_order(user=self.user(request), request=new_order)
        return Response(placed_answer(order, resp_type))

    def get(self, request: Request) -> Response:
        query = self.params(request)
        market = params.market(query)
        order_id, client_id = _order_id(query)
        order = access_order(
            user=self.user(request),
            symbol=market.symbol,
            order_id=order_id,
            client_order_id=client_id,
        )
        return Response(order_json(order))

    def delete(self, request: Request) -> Response:
        query = self.params(request)
        market = params.market(query)
        order_id, client_id = _order_id(query)
        cancel = CancelRequest.parse(
            symbol=market.symbol, order_id=order_id, client_order_id=client_id
        )
        order = do_cancel_order(user=self.user(request), request=cancel)
        [order] = wait_for_orders([order], until=closed, timeout=wait_seconds())
        return Response(order_json(order))


class OrderTestView(BinanceView):
    """Validates like POST /order, places nothing."""

    signed = True
    key_permissions: ClassVar[dict[str, str]] = {"POST": "trade"}

    def post(self, request: Request) -> Response:
        query = self.params(request)
        check_place_order(request=order_request(query))
        response_type(query)
        return Response({})


class OpenOrdersView(BinanceView):
    signed = True
    key_permissions: ClassVar[dict[str, str]] = {"DELETE": "trade"}

    def weight(self, request: Request, query: dict[str, str]) -> int:
        if request.method == "DELETE":
            return 1
        return 6 if query.get("symbol") else 80

    def get(self, request: Request) -> Response:
        query = self.params(request)
        market = params.market(query) if query.get("symbol") else None
        orders = order_list_open(user=self.user(request), market=market)
        return Response([order_json(o) for o in orders])

    def delete(self, request: Request) -> Response:
        market = params.market(self.params(request))
        orders = do_cancel_all_orders(user=self.user(request), symbol=market.symbol)
        if not orders:
            raise UNKNOWN_ORDER_ON_CANCEL
        done = wait_for_orders(orders, until=closed, timeout=wait_seconds())
        return Response([order_json(o) for o in done])


class AllOrdersView(BinanceView):
    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 20}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        market = params.market(query)
        start, end = params.optional_ms(query, "startTime"), params.optional_ms(query, "endTime")
        if start is not None and end is not None and end < start:
            raise BinanceError(-1128, "Combination of optional parameters invalid.")
        orders: list[Order] = order_history_for_user(
            user=self.user(request),
            market=market,
            from_order_id=params.optional_int(query, "orderId"),
            start_ms=start,
            end_ms=end,
            limit=params.limit(query, default=500, maximum=1000),
        )
        return Response([order_json(o) for o in orders])
