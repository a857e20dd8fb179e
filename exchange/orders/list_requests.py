"""The typed request of an OCO order list, built by every surface from its dialect.

An OCO has an above leg and a below leg of one side and one quantity, as
Binance's ``POST /api/v3/orderList/oco``: a SELL's above leg takes profit
(LIMIT_MAKER, TAKE_PROFIT, TAKE_PROFIT_LIMIT) and its below leg stops the loss
(STOP_LOSS, STOP_LOSS_LIMIT); a BUY is the mirror. Each leg is an
``OrderRequest`` (the market's filters checked once, there).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from decimal import Decimal

from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.models import STOP_TYPES, OrderType, Side
from exchange.orders.requests import CLIENT_ORDER_ID, OrderRequest

_PROFIT = frozenset({OrderType.LIMIT_MAKER, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT})
_LOSS = frozenset({OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT})
# (above types, below types) by side.
LEG_TYPES = {Side.SELL: (_PROFIT, _LOSS), Side.BUY: (_LOSS, _PROFIT)}


@dataclass(frozen=True, slots=True)
class LegTerms:
    """One leg as the client sent it (raw values; ``OrderRequest.parse`` checks them)."""

    type: object
    price: object = None
    stop_price: object = None
    time_in_force: object = None
    client_order_id: object = None
    trailing_delta: object = None  # refused: a leg does not trail


def _level(leg: OrderRequest) -> Decimal:
    """The price at which a leg acts: its stop price, or a LIMIT_MAKER's price."""
    level = leg.stop_price if leg.type in STOP_TYPES else leg.price
    assert level is not None
    return level


def _list_client_id(value: object) -> str:
    if value in (None, ""):
        return f"x-{secrets.token_hex(15)}"
    if not isinstance(value, str) or not re.match(CLIENT_ORDER_ID, value):
        raise OrderError(
            OrderErrorCode.INVALID_CLIENT_ORDER_ID,
            "List client order id must be 1-36 characters of letters, digits and -_.:/",
            fields={"list_client_order_id": "invalid"},
        )
    return value


@dataclass(frozen=True, slots=True)
class OcoRequest:
    """An OCO: ``legs`` is (below, above), the order their ids and engine legs take."""

    below: OrderRequest
    above: OrderRequest
    list_client_order_id: str

    @property
    def legs(self) -> tuple[OrderRequest, OrderRequest]:
        return (self.below, self.above)

    @classmethod
    def parse(
        cls,
        *,
        symbol: object,
        side: object,
        quantity: object,
        above: LegTerms,
        below: LegTerms,
        list_client_order_id: object = None,
        self_trade_prevention: object = None,
    ) -> OcoRequest:
        """Build the request; the first failure's OrderError or MarketError code.

        INVALID_LIST_TYPE for a leg type the side does not allow there;
        INVALID_LIST_PRICES when the above leg does not act above the below leg.
        """
        if any(terms.trailing_delta not in (None, "") for terms in (above, below)):
            raise OrderError(
                OrderErrorCode.UNEXPECTED_PARAMETER,
                "trailing_delta is not supported on an order list's leg.",
                fields={"trailing_delta": "unexpected"},
            )
        legs = [
            OrderRequest.parse(
                symbol=symbol,
                side=side,
                type=terms.type,
                quantity=quantity,
                price=terms.price,
                stop_price=terms.stop_price,
                time_in_force=terms.time_in_force,
                client_order_id=terms.client_order_id,
                self_trade_prevention=self_trade_prevention,
            )
            for terms in (above, below)
        ]
        above_v, below_v = legs
        above_types, below_types = LEG_TYPES[above_v.side]
        for leg, allowed, name in ((above_v, above_types, "above"), (below_v, below_types, "below")):  # fmt: skip
            if leg.type not in allowed:
                raise OrderError(
                    OrderErrorCode.INVALID_LIST_TYPE,
                    f"The {name} leg's type {leg.type} is not allowed for a {leg.side} OCO.",
                    fields={name: "invalid"},
                )
        if _level(above_v) <= _level(below_v):
            raise OrderError(
                OrderErrorCode.INVALID_LIST_PRICES,
                "The relationship of the prices for the orders is not correct.",
            )
        if above_v.client_order_id == below_v.client_order_id:
            raise OrderError(
                OrderErrorCode.DUPLICATE_CLIENT_ORDER_ID, "The legs need two client order ids."
            )
        return cls(
            below=below_v,
            above=above_v,
            list_client_order_id=_list_client_id(list_client_order_id),
        )

    def check_last_price(self, last: Decimal | None) -> None:
        """Binance's rule: the last price lies between the legs (when there is one).

        The engine checks the book itself (a LIMIT_MAKER that would take, a stop that
        would trigger); this refuses the list before anything is locked.
        """
        if last is not None and not _level(self.below) < last < _level(self.above):
            raise OrderError(
                OrderErrorCode.INVALID_LIST_PRICES,
                "The relationship of the prices for the orders is not correct.",
            )
