"""``PUT /api/v3/order/amend/keepPriority``: reduce an order's quantity, keeping its place.

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
from api.compat.binance.orders import wait_seconds
from api.compat.binance.shapes import dec, ms
from exchange.orders.amend import decided_amendment, do_amend_order
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
