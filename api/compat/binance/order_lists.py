"""Binance's order lists (OCO): ``orderList/oco``, the older ``order/oco``, ``orderList``
(GET, DELETE), ``allOrderList`` and ``openOrderList``.

A placed list's answer waits for the engine (both legs rest, or both are refused
with Binance's -2010 reason, e.g. a LIMIT_MAKER that would take), as every
LIMIT_MAKER and stop answer does (``orders.placed_answer``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.base import BinanceView
from api.compat.binance.errors import BinanceError, from_rejection, mandatory
from api.compat.binance.orders import wait_seconds
from api.compat.binance.shapes import canceled_json, ms, order_result_json
from exchange.orders.list_requests import LegTerms, OcoRequest
from exchange.orders.list_status import list_status
from exchange.orders.lists import (
    access_order_list,
    do_cancel_order_list,
    list_legs,
    order_lists_for_user,
    place_oco,
)
from exchange.orders.models import STOP_TYPES, Order, OrderList, OrderStatus, OrderType, Side
from exchange.orders.outcome import accepted, closed, wait_for_orders


def list_json(order_list: OrderList, legs: list[Order]) -> dict[str, Any]:
    """A list as ``GET /api/v3/orderList`` answers it."""
    status = list_status([leg.status for leg in legs])
    symbol = order_list.market.symbol
    return {
        "orderListId": order_list.pk,
        "contingencyType": order_list.contingency_type,
        "listStatusType": status.status_type,
        "listOrderStatus": status.order_status,
        "listClientOrderId": order_list.list_client_order_id,
        "transactionTime": ms(order_list.created_at),
        "symbol": symbol,
        "orders": [
            {"symbol": symbol, "orderId": leg.pk, "clientOrderId": leg.client_order_id}
            for leg in legs
        ],
    }


def _leg_report(leg: Order) -> dict[str, Any]:
    body = order_result_json(leg, None)
    if leg.type not in STOP_TYPES:
        body.pop("stopPrice")
    return body


def placed_list_json(order_list: OrderList, legs: list[Order]) -> dict[str, Any]:
    return {**list_json(order_list, legs), "orderReports": [_leg_report(leg) for leg in legs]}


def _placed(request: Request, view: BinanceView, oco: OcoRequest) -> Response:
    order_list, legs = place_oco(user=view.user(request), request=oco)
    legs = wait_for_orders(legs, until=accepted, timeout=wait_seconds())
    for leg in legs:
        if leg.status == OrderStatus.REJECTED:
            raise from_rejection(leg.reject_reason)
    return Response(placed_list_json(order_list, legs))


def _leg(query: dict[str, str], prefix: str) -> LegTerms:
    params.required(query, f"{prefix}Type")
    return LegTerms(
        type=query[f"{prefix}Type"],
        price=query.get(f"{prefix}Price"),
        stop_price=query.get(f"{prefix}StopPrice"),
        time_in_force=query.get(f"{prefix}TimeInForce"),
        client_order_id=query.get(f"{prefix}ClientOrderId"),
        trailing_delta=query.get(f"{prefix}TrailingDelta"),
    )


class OcoView(BinanceView):
    """``POST /api/v3/orderList/oco``: aboveType/belowType and their prices."""

    signed = True
    key_permissions: ClassVar[dict[str, str]] = {"POST": "trade"}

    def post(self, request: Request) -> Response:
        query = self.params(request)
        params.market(query, cached=True)
        for name in ("side", "quantity"):
            params.required(query, name)
        oco = OcoRequest.parse(
            symbol=query["symbol"],
            side=query["side"],
            quantity=query["quantity"],
            above=_leg(query, "above"),
            below=_leg(query, "below"),
            list_client_order_id=query.get("listClientOrderId"),
            self_trade_prevention=query.get("selfTradePreventionMode"),
        )
        return _placed(request, self, oco)


class LegacyOcoView(BinanceView):
    """``POST /api/v3/order/oco`` (deprecated by Binance): a LIMIT_MAKER at ``price`` and a
    STOP_LOSS(_LIMIT) at ``stopPrice`` (limit ``stopLimitPrice``)."""

    signed = True
    key_permissions: ClassVar[dict[str, str]] = {"POST": "trade"}

    def post(self, request: Request) -> Response:
        query = self.params(request)
        params.market(query, cached=True)
        for name in ("side", "quantity", "price", "stopPrice"):
            params.required(query, name)
        limit_leg = LegTerms(
            type=OrderType.LIMIT_MAKER,
            price=query["price"],
            client_order_id=query.get("limitClientOrderId"),
        )
        stop_limit = query.get("stopLimitPrice")
        stop_leg = LegTerms(
            type=OrderType.STOP_LOSS_LIMIT if stop_limit else OrderType.STOP_LOSS,
            price=stop_limit or None,
            stop_price=query["stopPrice"],
            time_in_force=query.get("stopLimitTimeInForce") if stop_limit else None,
            client_order_id=query.get("stopClientOrderId"),
            trailing_delta=query.get("trailingDelta"),
        )
        sell = query["side"].upper() == Side.SELL
        oco = OcoRequest.parse(
            symbol=query["symbol"],
            side=query["side"],
            quantity=query["quantity"],
            above=limit_leg if sell else stop_leg,
            below=stop_leg if sell else limit_leg,
            list_client_order_id=query.get("listClientOrderId"),
            self_trade_prevention=query.get("selfTradePreventionMode"),
        )
        return _placed(request, self, oco)


class OrderListView(BinanceView):
    """``GET`` / ``DELETE /api/v3/orderList`` by ``orderListId`` or a list client id."""

    signed = True
    key_permissions: ClassVar[dict[str, str]] = {"DELETE": "trade"}
    weights: ClassVar[dict[str, int]] = {"GET": 4, "DELETE": 1}

    def _list(self, request: Request, client_id_param: str) -> OrderList:
        query = self.params(request)
        list_id = params.optional_int(query, "orderListId")
        client_id = query.get(client_id_param) or None
        if list_id is None and client_id is None:
            raise mandatory("orderListId")
        symbol = params.market(query).symbol if request.method == "DELETE" else None
        return access_order_list(
            user=self.user(request),
            order_list_id=list_id,
            list_client_order_id=client_id,
            symbol=symbol,
        )

    def get(self, request: Request) -> Response:
        order_list = self._list(request, "origClientOrderId")
        return Response(list_json(order_list, list_legs(order_list)))

    def delete(self, request: Request) -> Response:
        order_list = self._list(request, "listClientOrderId")
        legs = do_cancel_order_list(user=self.user(request), order_list=order_list)
        legs = wait_for_orders(legs, until=closed, timeout=wait_seconds())
        return Response(
            {
                **list_json(order_list, legs),
                "orderReports": [canceled_json(leg) for leg in legs],
            }
        )


class AllOrderListView(BinanceView):
    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 20}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        start, end = params.optional_ms(query, "startTime"), params.optional_ms(query, "endTime")
        if start is not None and end is not None and end < start:
            raise BinanceError(-1128, "Combination of optional parameters invalid.")
        found = order_lists_for_user(
            user=self.user(request),
            from_id=params.optional_int(query, "fromId"),
            start=params.moment(start),
            end=params.moment(end),
            limit=params.limit(query, default=500, maximum=1000),
        )
        return Response([list_json(order_list, legs) for order_list, legs in found])


class OpenOrderListView(BinanceView):
    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 6}

    def get(self, request: Request) -> Response:
        found = order_lists_for_user(user=self.user(request), open_only=True, limit=1000)
        return Response([list_json(order_list, legs) for order_list, legs in found])
