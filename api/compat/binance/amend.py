"""``PUT /api/v3/order/amend/keepPriority``: reduce an order's quantity, keeping its place;
``GET /api/v3/order/amendments``: an order's applied amendments.

The answer is Binance's: ``transactTime``, ``executionId`` and ``amendedOrder``.
Refusals are -2013 "Order does not exist." (unknown, filled or canceled), -2038 for a
``newQty`` that does not reduce the order or is not above what filled, and -2011 for
an order list's leg (its list's one hold is not the leg's own); nothing changes. An answer the engine did not give in time is -1007 (status unknown).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.base import BinanceView
from api.compat.binance.errors import mandatory
from api.compat.binance.orders import wait_seconds
from api.compat.binance.shapes import dec, ms
from exchange.orders.amend import decided_amendment, do_amend_order, order_amendments
from exchange.orders.models import OrderAmendment, OrderStatus
from exchange.orders.requests import AmendRequest


def amended_json(amendment: OrderAmendment) -> dict[str, Any]:
    order = amendment.order
    status = OrderStatus.NEW if order.status == OrderStatus.PENDING_TRIGGER else order.status
    return {
        "transactTime": ms(amendment.decided_at),
        "executionId": amendment.pk,
        "amendedOrder": {
            "symbol": order.market.symbol,
            "orderId": order.pk,
            "orderListId": -1,
            "origClientOrderId": amendment.old_client_order_id,
            "clientOrderId": order.client_order_id,
            "price": dec(order.price),
            "qty": dec(order.orig_qty),
            "executedQty": dec(order.executed_qty),
            "preventedQty": "0.00000000",
            "quoteOrderQty": dec(order.quote_order_qty),
            "cumulativeQuoteQty": dec(order.cumulative_quote_qty),
            "status": status,
            "timeInForce": order.time_in_force or "GTC",
            "type": order.type,
            "side": order.side,
            "workingTime": ms(order.created_at),
            "selfTradePreventionMode": order.self_trade_prevention,
        },
    }


class AmendKeepPriorityView(BinanceView):
    signed = True
    key_permissions: ClassVar[dict[str, str]] = {"PUT": "trade"}
    weights: ClassVar[dict[str, int]] = {"PUT": 4}

    def put(self, request: Request) -> Response:
        query = self.params(request)
        market = params.market(query, cached=True)
        amend = AmendRequest.parse(
            symbol=market.symbol,
            new_qty=query.get("newQty"),
            order_id=params.optional_int(query, "orderId"),
            client_order_id=query.get("origClientOrderId"),
            new_client_order_id=query.get("newClientOrderId"),
        )
        amendment = do_amend_order(user=self.user(request), request=amend)
        return Response(amended_json(decided_amendment(amendment, timeout=wait_seconds())))


def amendment_json(amendment: OrderAmendment) -> dict[str, Any]:
    """One applied amendment as ``GET /api/v3/order/amendments`` lists it."""
    return {
        "symbol": amendment.order.market.symbol,
        "orderId": amendment.order_id,
        "executionId": amendment.pk,
        "origClientOrderId": amendment.old_client_order_id,
        "newClientOrderId": amendment.new_client_order_id,
        "origQty": dec(amendment.old_qty),
        "newQty": dec(amendment.new_qty),
        "time": ms(amendment.decided_at),
    }


class OrderAmendmentsView(BinanceView):
    """An order's applied amendments, oldest first (``executionId`` is the one the amend
    answered with; ``fromExecutionId`` starts there)."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 4}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        market = params.market(query)
        order_id = params.optional_int(query, "orderId")
        if order_id is None:
            raise mandatory("orderId")
        amendments = order_amendments(
            user=self.user(request),
            market=market,
            order_id=order_id,
            from_id=params.optional_int(query, "fromExecutionId"),
            limit=params.limit(query, default=500, maximum=1000),
        )
        return Response([amendment_json(a) for a in amendments])
