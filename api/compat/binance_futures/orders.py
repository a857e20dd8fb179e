"""Signed ``/fapi/v1`` order endpoints: ``order`` (POST/GET/DELETE), ``allOpenOrders``,
``openOrders``, ``openOrder``, ``allOrders`` and ``userTrades``.

A placed order's answer waits up to ``BINANCE_ORDER_WAIT_SECONDS`` for clearing to
record the engine's decision (``exchange.futures.outcome``), so a refusal (margin,
reduce-only, post-only) is the HTTP answer with Binance's code, as on Binance; past
the bound the order is answered as NEW. Cancels wait the same way for CANCELED.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.errors import BinanceError, mandatory
from api.compat.binance_futures.base import FuturesView
from api.compat.binance_futures.errors import POSITION_SIDE_MISMATCH, from_rejection
from api.compat.binance_futures.shapes import amendment_json, order_json, user_trade_json
from exchange.futures.countdown import do_set_futures_cancel_countdown
from exchange.futures.history import (
    access_futures_order,
    futures_fills,
    futures_open_orders,
    futures_order_amendments,
    futures_order_history,
)
from exchange.futures.models import Contract, FuturesOrder, FuturesOrderStatus
from exchange.futures.modify import modify_futures_order
from exchange.futures.outcome import (
    accepted,
    closed,
    wait_for_amendment,
    wait_for_futures_orders,
)
from exchange.futures.requests import FuturesModifyRequest, FuturesOrderRequest
from exchange.futures.selectors import get_contract
from exchange.futures.services import cancel_futures_order, place_futures_order

RESPONSE_TYPES = ("ACK", "RESULT")


def _wait_seconds() -> float:
    return float(settings.BINANCE_ORDER_WAIT_SECONDS)


def _contract(query: dict[str, str]) -> Contract:
    return get_contract(params.required(query, "symbol"))


def _flag(query: dict[str, str], name: str) -> bool:
    value = query.get(name, "false").lower()
    if value not in ("true", "false"):
        raise BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")
    return value == "true"


def _order_request(query: dict[str, str]) -> FuturesOrderRequest:
    """Binance's futures order parameters as the typed request (the symbol first: -1121)."""
    _contract(query)
    for name in ("side", "type"):
        params.required(query, name)
    if query.get("positionSide", "BOTH").upper() != "BOTH":
        raise POSITION_SIDE_MISMATCH
    close_position = _flag(query, "closePosition")
    if not close_position:
        params.required(query, "quantity")
    return FuturesOrderRequest.parse(
        symbol=query["symbol"],
        side=query["side"],
        type=query["type"],
        quantity=query.get("quantity"),
        price=query.get("price"),
        time_in_force=query.get("timeInForce"),
        reduce_only=_flag(query, "reduceOnly"),
        client_order_id=query.get("newClientOrderId"),
        stop_price=query.get("stopPrice"),
        working_type=query.get("workingType"),
        close_position=close_position,
        # Binance's /fapi/v1/order says activationPrice, its algoOrder activatePrice
        activation_price=query.get("activationPrice") or query.get("activatePrice"),
        callback_rate=query.get("callbackRate"),
    )


def _order_id(query: dict[str, str]) -> tuple[int | None, str | None]:
    order_id = params.optional_int(query, "orderId")
    client_id = query.get("origClientOrderId") or None
    if order_id is None and client_id is None:
        raise mandatory("orderId")
    return order_id, client_id


class OrderView(FuturesView):
    signed = True
    weights: ClassVar[dict[str, int]] = {"POST": 1, "GET": 1, "DELETE": 1, "PUT": 1}
    key_permissions: ClassVar[dict[str, str]] = {
        "POST": "trade",
        "DELETE": "trade",
        "PUT": "trade",
    }

    def put(self, request: Request) -> Response:
        """Modify a resting LIMIT order's price and quantity (same id): it keeps its queue
        place only when the quantity alone goes down (``exchange.futures.modify``)."""
        query = self.params(request)
        order_id, client_id = _order_id(query)
        for name in ("side", "quantity", "price"):
            params.required(query, name)
        change = FuturesModifyRequest.parse(
            symbol=query["symbol"],
            side=query["side"],
            price=query["price"],
            quantity=query["quantity"],
        )
        user = self.user(request)
        order = access_futures_order(
            user=user, contract=change.contract, order_id=order_id, client_order_id=client_id
        )
        amendment = modify_futures_order(user=user, order_id=order.pk, request=change)
        result = wait_for_amendment(amendment, timeout=_wait_seconds())
        if result not in ("", "OK"):
            raise from_rejection(result)
        [order] = wait_for_futures_orders([order], until=accepted, timeout=0)
        return Response(order_json(order))

    def post(self, request: Request) -> Response:
        query = self.params(request)
        if query.get("newOrderRespType", "ACK").upper() not in RESPONSE_TYPES:
            raise BinanceError(-1130, "Data sent for parameter 'newOrderRespType' is not valid.")
        order = place_futures_order(user=self.user(request), request=_order_request(query))
        [order] = wait_for_futures_orders([order], until=accepted, timeout=_wait_seconds())
        if order.status == FuturesOrderStatus.REJECTED:
            raise from_rejection(order.reject_reason)
        return Response(order_json(order))

    def get(self, request: Request) -> Response:
        query = self.params(request)
        order_id, client_id = _order_id(query)
        order = access_futures_order(
            user=self.user(request),
            contract=_contract(query),
            order_id=order_id,
            client_order_id=client_id,
        )
        return Response(order_json(order))

    def delete(self, request: Request) -> Response:
        query = self.params(request)
        order_id, client_id = _order_id(query)
        user = self.user(request)
        order = access_futures_order(
            user=user, contract=_contract(query), order_id=order_id, client_order_id=client_id
        )
        cancel_futures_order(user=user, order_id=order.pk)
        [order] = wait_for_futures_orders([order], until=closed, timeout=_wait_seconds())
        return Response(order_json(order))


class OrderAmendmentView(FuturesView):
    """``GET orderAmendment``: the modifies of one order the engine accepted, oldest first."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 1}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        order_id, client_id = _order_id(query)
        order = access_futures_order(
            user=self.user(request),
            contract=_contract(query),
            order_id=order_id,
            client_order_id=client_id,
        )
        rows = futures_order_amendments(
            order=order,
            start=params.moment(params.optional_ms(query, "startTime")),
            end=params.moment(params.optional_ms(query, "endTime")),
            limit=params.limit(query, default=50, maximum=100),
        )
        return Response([amendment_json(row, count) for row, count in rows])


class CountdownCancelAllView(FuturesView):
    """``POST countdownCancelAll``: the dead-man's switch (``exchange.futures.countdown``)."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"POST": 10}
    key_permissions: ClassVar[dict[str, str]] = {"POST": "trade"}

    def post(self, request: Request) -> Response:
        query = self.params(request)
        contract = _contract(query)
        countdown = params.required(query, "countdownTime")
        if not countdown.isascii() or not countdown.isdigit() or len(countdown) > 12:
            raise BinanceError(-1130, "Data sent for parameter 'countdownTime' is not valid.")
        do_set_futures_cancel_countdown(
            user=self.user(request), symbol=contract.symbol, countdown_ms=int(countdown)
        )
        return Response({"symbol": contract.symbol, "countdownTime": str(int(countdown))})


class AllOpenOrdersView(FuturesView):
    """``DELETE allOpenOrders``: cancel every open order in the contract."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"DELETE": 1}
    key_permissions: ClassVar[dict[str, str]] = {"DELETE": "trade"}

    def delete(self, request: Request) -> Response:
        user = self.user(request)
        orders = list(futures_open_orders(user=user, contract=_contract(self.params(request))))
        for order in orders:
            cancel_futures_order(user=user, order_id=order.pk)
        wait_for_futures_orders(orders, until=closed, timeout=_wait_seconds())
        return Response({"code": 200, "msg": "The operation of cancel all open order is done."})


class OpenOrdersView(FuturesView):
    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 1}

    def weight(self, request: Request, query: dict[str, str]) -> int:
        return 1 if query.get("symbol") else 40

    def get(self, request: Request) -> Response:
        query = self.params(request)
        contract = _contract(query) if query.get("symbol") else None
        orders = futures_open_orders(user=self.user(request), contract=contract)
        return Response([order_json(o) for o in orders])


class OpenOrderView(FuturesView):
    """``GET openOrder``: one open order, -2013 when it is closed or unknown."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 1}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        order_id, client_id = _order_id(query)
        order: FuturesOrder = access_futures_order(
            user=self.user(request),
            contract=_contract(query),
            order_id=order_id,
            client_order_id=client_id,
        )
        if closed(order):
            raise BinanceError(-2013, "Order does not exist.")
        return Response(order_json(order))


class AllOrdersView(FuturesView):
    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 5}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        orders = futures_order_history(
            user=self.user(request),
            contract=_contract(query),
            from_id=params.optional_int(query, "orderId"),
            start=params.moment(params.optional_ms(query, "startTime")),
            end=params.moment(params.optional_ms(query, "endTime")),
            limit=params.limit(query, default=500, maximum=1000),
        )
        return Response([order_json(o) for o in orders])


class UserTradesView(FuturesView):
    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 5}

    def get(self, request: Request) -> Response:
        query = self.params(request)
        contract = _contract(query)
        user = self.user(request)
        fills = futures_fills(
            user=user,
            contract=contract,
            order_id=params.optional_int(query, "orderId"),
            from_seq=params.optional_int(query, "fromId"),
            start=params.moment(params.optional_ms(query, "startTime")),
            end=params.moment(params.optional_ms(query, "endTime")),
            limit=params.limit(query, default=500, maximum=1000),
        )
        return Response([user_trade_json(t, user.pk, contract) for t in fills])


ALGO_STATUS = {
    FuturesOrderStatus.NEW: "NEW",
    FuturesOrderStatus.PARTIALLY_FILLED: "TRIGGERED",
    FuturesOrderStatus.FILLED: "FINISHED",
    FuturesOrderStatus.CANCELED: "CANCELED",
    FuturesOrderStatus.REJECTED: "REJECTED",
    FuturesOrderStatus.EXPIRED: "EXPIRED",
}


def algo_json(order: FuturesOrder) -> dict[str, object]:
    """A conditional order as ``/fapi/v1/algoOrder`` shows it; ``algoId`` is the order id."""
    body = order_json(order)
    return {
        "algoId": order.pk,
        "clientAlgoId": order.client_order_id,
        "algoType": "CONDITIONAL",
        "orderType": order.type,
        "symbol": order.contract.symbol,
        "side": order.side,
        "positionSide": "BOTH",
        "timeInForce": order.time_in_force,
        "quantity": body["origQty"],
        "algoStatus": ALGO_STATUS.get(FuturesOrderStatus(order.status), "NEW"),
        "triggerPrice": body["stopPrice"],
        "price": body["price"],
        "selfTradePreventionMode": "NONE",
        "workingType": order.working_type,
        "priceMatch": "NONE",
        "closePosition": order.close_position,
        "priceProtect": False,
        "reduceOnly": order.reduce_only,
        "createTime": body["time"],
        "updateTime": body["updateTime"],
        "triggerTime": 0,
        "goodTillDate": 0,
        **(
            {"activatePrice": body["activatePrice"], "callbackRate": body["priceRate"]}
            if order.callback_rate is not None
            else {}
        ),
    }


class AlgoOrderView(FuturesView):
    """``/fapi/v1/algoOrder`` (algoType CONDITIONAL): where ccxt and python-binance send
    STOP / STOP_MARKET / TAKE_PROFIT / TAKE_PROFIT_MARKET since Binance moved them. The
    order is the same futures order as ``/fapi/v1/order`` places (``algoId`` = orderId)."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"POST": 1, "GET": 1, "DELETE": 1}
    key_permissions: ClassVar[dict[str, str]] = {"POST": "trade", "DELETE": "trade"}

    def post(self, request: Request) -> Response:
        query = self.params(request)
        if query.get("algoType", "CONDITIONAL").upper() != "CONDITIONAL":
            raise BinanceError(-1130, "Data sent for parameter 'algoType' is not valid.")
        translated = dict(query)
        for ours, theirs in (("stopPrice", "triggerPrice"), ("newClientOrderId", "clientAlgoId")):
            if theirs in query:
                translated[ours] = query[theirs]
        order = place_futures_order(user=self.user(request), request=_order_request(translated))
        [order] = wait_for_futures_orders([order], until=accepted, timeout=_wait_seconds())
        if order.status == FuturesOrderStatus.REJECTED:
            raise from_rejection(order.reject_reason)
        return Response(algo_json(order))

    def _order(self, request: Request) -> FuturesOrder:
        query = self.params(request)
        algo_id = params.optional_int(query, "algoId")
        client_id = query.get("clientAlgoId") or None
        if algo_id is None and client_id is None:
            raise mandatory("algoId")
        rows = FuturesOrder.objects.filter(user=self.user(request)).select_related("contract")
        order = (
            rows.filter(pk=algo_id)
            if algo_id is not None
            else rows.filter(client_order_id=client_id)
        ).first()
        if order is None:
            raise BinanceError(-2013, "Order does not exist.")
        return order

    def get(self, request: Request) -> Response:
        return Response(algo_json(self._order(request)))

    def delete(self, request: Request) -> Response:
        order = self._order(request)
        cancel_futures_order(user=self.user(request), order_id=order.pk)
        [order] = wait_for_futures_orders([order], until=closed, timeout=_wait_seconds())
        return Response(algo_json(order))
