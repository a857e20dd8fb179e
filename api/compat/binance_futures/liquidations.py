"""Signed ``/fapi/v1`` liquidation reads: ``forceOrders`` (the user's liquidation and ADL
closes, ``exchange.futures.history.forced_orders``) and ``adlQuantile`` (the place of
each open position in the ADL queue, ``exchange.futures.adl``)."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from api.compat.binance import params
from api.compat.binance.shapes import dec, ms
from api.compat.binance_futures.base import FuturesView
from api.compat.binance_futures.shapes import autoclose_id
from exchange.futures.adl import adl_quantiles
from exchange.futures.history import forced_orders
from exchange.futures.marks import mark_of
from exchange.futures.models import AutoCloseType, ForcedOrder
from exchange.futures.selectors import get_contract


def forced_order_json(row: ForcedOrder) -> dict[str, Any]:
    """A forced close as Binance lists it: a filled IOC LIMIT order ``autoclose-<id>``
    for a liquidation, ``adl_autoclose`` for an ADL close."""
    liquidation = row.auto_close_type == AutoCloseType.LIQUIDATION
    when = ms(row.time)
    order_id = row.engine_order_id or row.pk  # the user stream's id for the same close
    return {
        "orderId": order_id,
        "symbol": row.contract.symbol,
        "status": "FILLED",
        "clientOrderId": autoclose_id(order_id) if liquidation else "adl_autoclose",
        "price": dec(row.price),
        "avgPrice": dec(row.avg_price),
        "origQty": dec(row.quantity),
        "executedQty": dec(row.quantity),
        "cumQuote": dec(row.cum_quote),
        "timeInForce": "IOC" if liquidation else "GTC",
        "type": "LIMIT",
        "reduceOnly": False,
        "closePosition": False,
        "side": row.side,
        "positionSide": "BOTH",
        "stopPrice": "0",
        "workingType": "CONTRACT_PRICE",
        "priceProtect": False,
        "origType": "LIMIT",
        "time": when,
        "updateTime": when,
    }


class ForceOrdersView(FuturesView):
    signed = True

    def weight(self, request: Request, query: dict[str, str]) -> int:
        return 20 if query.get("symbol") else 50

    def get(self, request: Request) -> Response:
        query = self.params(request)
        symbol = query.get("symbol")
        rows = forced_orders(
            user=self.user(request),
            contract=get_contract(symbol) if symbol else None,
            kind=query.get("autoCloseType") or None,
            start=params.moment(params.optional_ms(query, "startTime")),
            end=params.moment(params.optional_ms(query, "endTime")),
            limit=params.limit(query, default=50, maximum=100),
        )
        return Response([forced_order_json(r) for r in rows])


class AdlQuantileView(FuturesView):
    """One-way positions: the quantile is ``BOTH``'s; ``LONG`` and ``SHORT`` (hedge mode) are 0."""

    signed = True
    weights: ClassVar[dict[str, int]] = {"GET": 5}

    def get(self, request: Request) -> Response:
        symbol = self.params(request).get("symbol")
        found = adl_quantiles(
            user=self.user(request),
            mark_of=mark_of,
            contract=get_contract(symbol) if symbol else None,
        )
        return Response(
            [
                {
                    "symbol": q.contract.symbol,
                    "adlQuantile": {"LONG": 0, "SHORT": 0, "BOTH": q.quantile},
                }
                for q in found
            ]
        )
