"""Order entry, cancels and the caller's orders and trades.

API keys need ``trade`` to place or cancel. Cancels are asynchronous: the
response is the order when the cancel was sent (202); clearing records the
engine's answer, visible on the order and in the user stream.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.rest.base import RestView
from api.rest.fields import ms_to_datetime
from api.rest.orders.serializers import (
    CancelAllIn,
    CancelCountdownIn,
    CancelCountdownOut,
    ClientOrderQuery,
    MyTradeOut,
    MyTradeQuery,
    OrderAmendIn,
    OrderAmendOut,
    OrderBatchIn,
    OrderBatchSlotOut,
    OrderIn,
    OrderOut,
    OrderPage,
    OrderQuery,
    OrderReplaceIn,
    OrderReplaceOut,
)
from api.rest.parsing import valid, valid_query
from api.rest.request_user import request_user
from exchange.core.errors import DomainError
from exchange.core.pagination import PageErrorCode
from exchange.markets.errors import MarketErrorCode
from exchange.markets.selectors import get_market
from exchange.orders.actions import do_cancel_all_orders, do_cancel_order
from exchange.orders.amend import AMEND_WAIT_SECONDS, decided_amendment, do_amend_order
from exchange.orders.batch import check_batch_size, place_order_batch
from exchange.orders.countdown import do_set_cancel_countdown
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.replace import do_replace_order
from exchange.orders.requests import AmendRequest, CancelRequest, OrderRequest, ReplaceRequest
from exchange.orders.retries import place_order_once
from exchange.orders.selectors import access_order, fill_list_for_user, order_list

PLACE_ERRORS = [
    *MarketErrorCode,
    OrderErrorCode.INVALID_SIDE,
    OrderErrorCode.INVALID_TYPE,
    OrderErrorCode.INVALID_TIME_IN_FORCE,
    OrderErrorCode.INVALID_SELF_TRADE_PREVENTION,
    OrderErrorCode.MISSING_PARAMETER,
    OrderErrorCode.UNEXPECTED_PARAMETER,
    OrderErrorCode.INVALID_CLIENT_ORDER_ID,
    OrderErrorCode.DUPLICATE_CLIENT_ORDER_ID,
    OrderErrorCode.INVALID_QUOTE_QTY,
    OrderErrorCode.INSUFFICIENT_BALANCE,
]
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Used as the client order id when the body has none (same rules).",
)
CANCEL_ERRORS = [
    MarketErrorCode.UNKNOWN_SYMBOL,
    OrderErrorCode.ORDER_NOT_FOUND,
    OrderErrorCode.ORDER_NOT_OPEN,
]


class OrderListView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {
        "GET": [
            MarketErrorCode.UNKNOWN_SYMBOL,
            OrderErrorCode.INVALID_FILTER,
            *PageErrorCode,
        ],
        "POST": PLACE_ERRORS,
    }

    @extend_schema(
        tags=["orders"], operation_id="v1_orders_list", parameters=[OrderQuery], responses=OrderPage
    )
    def get(self, request: Request) -> Response:
        """The caller's orders, newest first, one cursor page at a time."""
        query = valid_query(OrderQuery, request)
        page = order_list(
            user=request_user(request),
            market=get_market(query["symbol"]) if "symbol" in query else None,
            statuses=query["status"].split(",") if query.get("status") else None,
            open_only=query["open"],
            side=query.get("side"),
            start=ms_to_datetime(query.get("start")),
            end=ms_to_datetime(query.get("end")),
            cursor=query.get("cursor"),
            limit=query["limit"],
        )
        return Response(
            {"results": OrderOut(page.items, many=True).data, "next_cursor": page.next_cursor}
        )

    @extend_schema(
        tags=["orders"],
        request=OrderIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: OrderOut, 200: OrderOut},
    )
    def post(self, request: Request) -> Response:
        """Place an order: funds are locked now, the engine matches it right after.

        A retry (same client order id, or ``Idempotency-Key``, and the same
        parameters) answers 200 with the order the first call placed.
        """
        data = valid(OrderIn, request.data)
        if not data.get("client_order_id"):
            data["client_order_id"] = request.headers.get("Idempotency-Key")
        order_request = OrderRequest.parse(**data)
        order, created = place_order_once(user=request_user(request), request=order_request)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(OrderOut(order).data, status=code)


def _batch_item(item: dict[str, object]) -> OrderRequest | DomainError:
    """One batch item as its order request, or the error that refuses only its slot."""
    parsed = OrderIn(data=item)
    if not parsed.is_valid():
        return OrderError(
            OrderErrorCode.INVALID_INPUT_IN_BATCH,
            "Invalid order fields.",
            fields={k: "; ".join(str(e) for e in v) for k, v in parsed.errors.items()},
        )
    try:
        return OrderRequest.parse(**parsed.validated_data)
    except DomainError as exc:
        return exc


class OrderBatchView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {"POST": [OrderErrorCode.INVALID_BATCH]}

    @extend_schema(
        tags=["orders"], request=OrderBatchIn, responses={200: OrderBatchSlotOut(many=True)}
    )
    def post(self, request: Request) -> Response:
        """Place up to 10 orders; each succeeds or fails in its own slot of the answer.

        The accepted ones are stored in one transaction and sent to the engine in one
        append. A slot's error has the codes of POST /api/v1/orders.
        """
        items = valid(OrderBatchIn, request.data)["orders"]
        check_batch_size(len(items))
        slots = place_order_batch(
            user=request_user(request), requests=[_batch_item(item) for item in items]
        )
        body = [
            {
                "order": slot.order,
                "error": {
                    "code": slot.error.code.value,
                    "detail": slot.error.message,
                    "fields": slot.error.fields,
                }
                if slot.error
                else None,
            }
            for slot in slots
        ]
        return Response(OrderBatchSlotOut(body, many=True).data)


class OrderDetailView(RestView):
    error_codes = {"GET": [OrderErrorCode.ORDER_NOT_FOUND]}

    @extend_schema(tags=["orders"], responses=OrderOut)
    def get(self, request: Request, order_id: int) -> Response:
        return Response(OrderOut(access_order(user=request_user(request), order_id=order_id)).data)


class OrderByClientIdView(RestView):
    error_codes = {
        "GET": [
            MarketErrorCode.UNKNOWN_SYMBOL,
            OrderErrorCode.ORDER_NOT_FOUND,
            OrderErrorCode.MISSING_PARAMETER,
        ]
    }

    @extend_schema(tags=["orders"], parameters=[ClientOrderQuery], responses=OrderOut)
    def get(self, request: Request) -> Response:
        """The caller's newest order with this client order id."""
        query = valid_query(ClientOrderQuery, request)
        order = access_order(
            user=request_user(request),
            symbol=query.get("symbol"),
            client_order_id=query["client_order_id"],
        )
        return Response(OrderOut(order).data)


class OrderCancelView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {"POST": CANCEL_ERRORS}

    @extend_schema(tags=["orders"], request=None, responses={202: OrderOut})
    def post(self, request: Request, order_id: int) -> Response:
        cancel = CancelRequest.parse(order_id=order_id)
        order = do_cancel_order(user=request_user(request), request=cancel)
        return Response(OrderOut(order).data, status=status.HTTP_202_ACCEPTED)


class OrderReplaceView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {"POST": [*PLACE_ERRORS, *CANCEL_ERRORS[1:], OrderErrorCode.INVALID_REPLACE_MODE]}

    @extend_schema(tags=["orders"], request=OrderReplaceIn, responses={202: OrderReplaceOut})
    def post(self, request: Request, order_id: int) -> Response:
        """Cancel this order and place the new one in ONE engine step (cancel-replace).

        A new order on the same side takes over the old one's lock: only the
        difference is locked from available funds. The cancel's outcome is
        clearing's, visible on both orders and in the user stream.
        """
        data = valid(OrderReplaceIn, request.data)
        mode = data.pop("mode")
        replace = ReplaceRequest.parse(
            cancel=CancelRequest.parse(symbol=data.get("symbol"), order_id=order_id),
            order=OrderRequest.parse(**data),
            mode=mode,
        )
        outcome = do_replace_order(user=request_user(request), request=replace)
        error = outcome.cancel_error
        body = {
            "order": outcome.order,
            "replaced_order_id": outcome.replaced.pk if outcome.replaced else None,
            "cancel_error": {"code": error.code, "message": error.message} if error else None,
        }
        return Response(OrderReplaceOut(body).data, status=status.HTTP_202_ACCEPTED)


class OrderAmendView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {
        "POST": [
            *CANCEL_ERRORS,
            MarketErrorCode.INVALID_QUANTITY,
            MarketErrorCode.QUANTITY_STEP,
            MarketErrorCode.QUANTITY_TOO_SMALL,
            OrderErrorCode.INVALID_CLIENT_ORDER_ID,
            OrderErrorCode.DUPLICATE_CLIENT_ORDER_ID,
            OrderErrorCode.AMEND_NOT_REDUCING,
            OrderErrorCode.AMEND_BELOW_FILLED,
            OrderErrorCode.NOT_AMENDABLE,
            OrderErrorCode.AMENDMENT_PENDING,
            OrderErrorCode.ENGINE_UNAVAILABLE,
        ]
    }

    @extend_schema(tags=["orders"], request=OrderAmendIn, responses=OrderAmendOut)
    def post(self, request: Request, order_id: int) -> Response:
        """Reduce this order's quantity, keeping its place in the queue (amend keep priority).

        Answers once the engine has applied it: the reduced part's lock is back in
        available funds. ENGINE_UNAVAILABLE (503) means the outcome is unknown: read
        the order.
        """
        data = valid(OrderAmendIn, request.data)
        amend = AmendRequest.parse(
            symbol=data["symbol"],
            new_qty=data["new_qty"],
            order_id=order_id,
            new_client_order_id=data.get("new_client_order_id"),
        )
        amendment = do_amend_order(user=request_user(request), request=amend)
        decided = decided_amendment(amendment, timeout=AMEND_WAIT_SECONDS)
        return Response(OrderAmendOut(decided).data)


class OrderCancelByClientIdView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {"POST": CANCEL_ERRORS}

    @extend_schema(tags=["orders"], request=ClientOrderQuery, responses={202: OrderOut})
    def post(self, request: Request) -> Response:
        data = valid(ClientOrderQuery, request.data)
        cancel = CancelRequest.parse(
            symbol=data.get("symbol"), client_order_id=data["client_order_id"]
        )
        order = do_cancel_order(user=request_user(request), request=cancel)
        return Response(OrderOut(order).data, status=status.HTTP_202_ACCEPTED)


class OrderCancelAllView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {"POST": [MarketErrorCode.UNKNOWN_SYMBOL]}

    @extend_schema(tags=["orders"], request=CancelAllIn, responses={202: OrderOut(many=True)})
    def post(self, request: Request) -> Response:
        """Cancel every open order of the caller in one market; returns those orders."""
        data = valid(CancelAllIn, request.data)
        orders = do_cancel_all_orders(user=request_user(request), symbol=data["symbol"])
        return Response(OrderOut(orders, many=True).data, status=status.HTTP_202_ACCEPTED)


class CancelCountdownView(RestView):
    key_permissions = {"POST": "trade"}
    error_codes = {"POST": [MarketErrorCode.UNKNOWN_SYMBOL, OrderErrorCode.INVALID_COUNTDOWN]}

    @extend_schema(tags=["orders"], request=CancelCountdownIn, responses=CancelCountdownOut)
    def post(self, request: Request) -> Response:
        """Dead-man's switch: set or renew (heartbeat) the countdown after which every open
        order of the caller in the market is canceled, once; 0 stops it. It survives
        restarts: the deadline is stored, and checked every second."""
        data = valid(CancelCountdownIn, request.data)
        deadline = do_set_cancel_countdown(
            user=request_user(request), symbol=data["symbol"], countdown_ms=data["countdown_ms"]
        )
        return Response(CancelCountdownOut({**data, "deadline": deadline}).data)


class MyTradeListView(RestView):
    error_codes = {
        "GET": [
            MarketErrorCode.UNKNOWN_SYMBOL,
            OrderErrorCode.ORDER_NOT_FOUND,
            OrderErrorCode.MISSING_PARAMETER,
        ]
    }

    @extend_schema(tags=["orders"], parameters=[MyTradeQuery], responses=MyTradeOut(many=True))
    def get(self, request: Request) -> Response:
        """The caller's trades oldest first: from ``from_id`` on, else the newest ``limit``."""
        query = valid_query(MyTradeQuery, request)
        user = request_user(request)
        fills = fill_list_for_user(
            user=user,
            market=get_market(query["symbol"]) if "symbol" in query else None,
            order=access_order(user=user, order_id=query["order_id"])
            if "order_id" in query
            else None,
            from_id=query.get("from_id"),
            start=ms_to_datetime(query.get("start")),
            end=ms_to_datetime(query.get("end")),
            limit=query["limit"],
        )
        return Response(MyTradeOut(fills, many=True).data)
