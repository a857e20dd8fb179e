"""OCO order lists on the native REST: place, read, cancel (``exchange.orders.lists``).

Like single orders, the answers are asynchronous: 201 with the list as stored
(its legs NEW or PENDING_TRIGGER until the engine answers), 202 for a cancel.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.rest.base import RestView
from api.rest.orders.serializers import OrderOut, _one_of, _optional
from api.rest.orders.views import CANCEL_ERRORS, PLACE_ERRORS
from api.rest.parsing import valid
from api.rest.request_user import request_user
from exchange.orders.errors import OrderErrorCode
from exchange.orders.list_requests import LegTerms, OcoRequest
from exchange.orders.list_status import list_status
from exchange.orders.lists import access_order_list, do_cancel_order_list, list_legs, place_oco
from exchange.orders.models import Order, OrderList, OrderType, Side


class OcoLegIn(serializers.Serializer):
    type = serializers.CharField(max_length=32, help_text=_one_of(OrderType))
    price = serializers.CharField(max_length=64, required=False, allow_null=True)
    stop_price = serializers.CharField(max_length=64, required=False, allow_null=True)
    time_in_force = _optional("GTC, IOC or FOK for the *_LIMIT stop types. Default GTC.")
    client_order_id = _optional("Up to 36 of letters, digits and -_.:/; generated if empty.")


class OcoIn(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)
    side = serializers.CharField(max_length=8, help_text=_one_of(Side))
    quantity = serializers.CharField(max_length=64, help_text="Both legs' base quantity.")
    above = OcoLegIn(help_text="SELL: LIMIT_MAKER or TAKE_PROFIT(_LIMIT); BUY: STOP_LOSS(_LIMIT).")
    below = OcoLegIn(help_text="SELL: STOP_LOSS(_LIMIT); BUY: LIMIT_MAKER or TAKE_PROFIT(_LIMIT).")
    list_client_order_id = _optional("Generated if empty.")
    self_trade_prevention = _optional("Default NONE.")


class OrderListOut(serializers.Serializer):
    id = serializers.IntegerField()
    symbol = serializers.CharField()
    contingency_type = serializers.CharField()
    list_client_order_id = serializers.CharField()
    list_status_type = serializers.CharField(help_text="EXEC_STARTED or ALL_DONE.")
    list_order_status = serializers.CharField(help_text="EXECUTING, ALL_DONE or REJECT.")
    created_at = serializers.DateTimeField()
    orders = OrderOut(many=True, help_text="The legs: below, then above.")


def list_body(order_list: OrderList, legs: list[Order]) -> dict[str, Any]:
    state = list_status([leg.status for leg in legs])
    return OrderListOut(
        {
            "id": order_list.pk,
            "symbol": order_list.market.symbol,
            "contingency_type": order_list.contingency_type,
            "list_client_order_id": order_list.list_client_order_id,
            "list_status_type": state.status_type,
            "list_order_status": state.order_status,
            "created_at": order_list.created_at,
            "orders": legs,
        }
    ).data


def _leg(data: dict[str, Any]) -> LegTerms:
    return LegTerms(
        type=data["type"],
        price=data.get("price"),
        stop_price=data.get("stop_price"),
        time_in_force=data.get("time_in_force"),
        client_order_id=data.get("client_order_id"),
    )


class OcoView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {
        "POST": [
            *PLACE_ERRORS,
            OrderErrorCode.INVALID_LIST_TYPE,
            OrderErrorCode.INVALID_LIST_PRICES,
        ]
    }

    @extend_schema(tags=["orders"], request=OcoIn, responses={201: OrderListOut})
    def post(self, request: Request) -> Response:
        """Place an OCO: the first leg to trade, trigger or leave the book cancels the
        other in the same engine step; the quantity (a BUY: the larger quote) is held once."""
        data = valid(OcoIn, request.data)
        oco = OcoRequest.parse(
            symbol=data["symbol"],
            side=data["side"],
            quantity=data["quantity"],
            above=_leg(data["above"]),
            below=_leg(data["below"]),
            list_client_order_id=data.get("list_client_order_id"),
            self_trade_prevention=data.get("self_trade_prevention"),
        )
        order_list, legs = place_oco(user=request_user(request), request=oco)
        return Response(list_body(order_list, legs), status=status.HTTP_201_CREATED)


class OrderListDetailView(RestView):
    error_codes = {"GET": [OrderErrorCode.ORDER_LIST_NOT_FOUND]}

    @extend_schema(tags=["orders"], responses=OrderListOut)
    def get(self, request: Request, list_id: int) -> Response:
        order_list = access_order_list(user=request_user(request), order_list_id=list_id)
        return Response(list_body(order_list, list_legs(order_list)))


class OrderListCancelView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {"POST": [OrderErrorCode.ORDER_LIST_NOT_FOUND, *CANCEL_ERRORS[2:]]}

    @extend_schema(tags=["orders"], request=None, responses={202: OrderListOut})
    def post(self, request: Request, list_id: int) -> Response:
        """Cancel the list (its open leg; the engine cancels the other)."""
        user = request_user(request)
        order_list = access_order_list(user=user, order_list_id=list_id)
        legs = do_cancel_order_list(user=user, order_list=order_list)
        return Response(list_body(order_list, legs), status=status.HTTP_202_ACCEPTED)
