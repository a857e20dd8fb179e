"""Typed commands; `encode()` gives the msgpack blob for the market's input stream."""

from __future__ import annotations

from dataclasses import dataclass

from matching_engine.protocol import (
    DEFAULT_DEDUPE_WINDOW,
    MarketStatus,
    OrderType,
    ReplaceMode,
    SelfTradePrevention,
    Side,
    TimeInForce,
    encode_amend,
    encode_cancel,
    encode_cancel_all,
    encode_halt,
    encode_market_create,
    encode_place,
    encode_place_list,
    encode_replace,
    encode_resume,
    encode_snapshot_request,
)


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """Place an order whose funds are already locked.

    Units: `price`/`stop_price` in ticks, `quantity` in lots, `quote_amount` and a BUY's
    `lock` in quote units (tick * lot; notional = price * quantity), a SELL's `lock` in
    lots. Size a MARKET/STOP_LOSS/TAKE_PROFIT by `quantity` or by `quote_amount`.
    """

    symbol: str
    order_id: int
    user_id: int
    side: Side
    order_type: OrderType
    lock: int
    quantity: int = 0
    price: int = 0
    quote_amount: int = 0
    stop_price: int = 0
    time_in_force: TimeInForce = TimeInForce.GTC
    stp: SelfTradePrevention = SelfTradePrevention.NONE
    trailing_delta: int = 0  # BIPS: a trailing stop (stop_price 0: trail at once)

    def encode(self) -> bytes:
        return encode_place(
            order_id=self.order_id,
            user_id=self.user_id,
            side=self.side,
            order_type=self.order_type,
            time_in_force=self.time_in_force,
            price=self.price,
            quantity=self.quantity,
            quote_amount=self.quote_amount,
            stop_price=self.stop_price,
            lock=self.lock,
            stp=self.stp,
            trailing_delta=self.trailing_delta,
        )


@dataclass(frozen=True, slots=True)
class ReplaceOrder:
    """Cancel ``cancel_order_id`` and place ``place`` in one engine step (cancel-replace).

    The output entry is the new order's (command REPLACE); the canceled order's
    DONE is among its events. ``mode`` says whether a failed cancel stops the place.
    """

    place: PlaceOrder
    cancel_order_id: int
    mode: ReplaceMode = ReplaceMode.STOP_ON_FAILURE
    carry: int = 0  # at most this much of the canceled order's lock moves to the new one

    @property
    def symbol(self) -> str:
        return self.place.symbol

    def encode(self) -> bytes:
        p = self.place
        if p.trailing_delta:
            raise ValueError("REPLACE has no trailing delta: place a trailing stop with PLACE")
        return encode_replace(
            cancel_order_id=self.cancel_order_id,
            mode=self.mode,
            carry=self.carry,
            order_id=p.order_id,
            user_id=p.user_id,
            side=p.side,
            order_type=p.order_type,
            time_in_force=p.time_in_force,
            price=p.price,
            quantity=p.quantity,
            quote_amount=p.quote_amount,
            stop_price=p.stop_price,
            lock=p.lock,
            stp=p.stp,
        )


@dataclass(frozen=True, slots=True)
class PlaceList:
    """Place two OCO legs of one user and side sharing one lock (``legs[0].lock``).

    The output entry answers for the first leg (command PLACE_LIST); the first leg to
    trade, trigger or leave the book cancels the other in the same entry.
    """

    legs: tuple[PlaceOrder, PlaceOrder]

    @property
    def symbol(self) -> str:
        return self.legs[0].symbol

    def encode(self) -> bytes:
        first, second = self.legs
        return encode_place_list(
            user_id=first.user_id,
            lock=first.lock,
            legs=(_leg(first), _leg(second)),
        )


def _leg(p: PlaceOrder) -> tuple[int, int, int, int, int, int, int, int, int]:
    return (
        p.order_id,
        p.side,
        p.order_type,
        p.time_in_force,
        p.price,
        p.quantity,
        p.quote_amount,
        p.stop_price,
        p.stp,
    )


@dataclass(frozen=True, slots=True)
class CancelOrder:
    symbol: str
    order_id: int
    user_id: int

    def encode(self) -> bytes:
        return encode_cancel(order_id=self.order_id, user_id=self.user_id)


@dataclass(frozen=True, slots=True)
class CancelAll:
    """Cancel every open order (resting or pending stop) of one user in one market."""

    symbol: str
    user_id: int

    def encode(self) -> bytes:
        return encode_cancel_all(user_id=self.user_id)


@dataclass(frozen=True, slots=True)
class CreateMarket:
    symbol: str
    status: MarketStatus = MarketStatus.TRADING
    dedupe_window: int = DEFAULT_DEDUPE_WINDOW

    def encode(self) -> bytes:
        return encode_market_create(
            symbol=self.symbol, status=self.status, dedupe_window=self.dedupe_window
        )


@dataclass(frozen=True, slots=True)
class HaltMarket:
    symbol: str

    def encode(self) -> bytes:
        return encode_halt()


@dataclass(frozen=True, slots=True)
class ResumeMarket:
    symbol: str

    def encode(self) -> bytes:
        return encode_resume()


@dataclass(frozen=True, slots=True)
class AmendOrder:
    """Lower a resting order's original quantity from ``old_qty`` to ``new_qty`` lots,
    keeping its queue place (Binance's amend keep priority)."""

    symbol: str
    order_id: int
    user_id: int
    old_qty: int
    new_qty: int

    def encode(self) -> bytes:
        return encode_amend(
            order_id=self.order_id,
            user_id=self.user_id,
            old_qty=self.old_qty,
            new_qty=self.new_qty,
        )


@dataclass(frozen=True, slots=True)
class RequestSnapshot:
    symbol: str

    def encode(self) -> bytes:
        return encode_snapshot_request()


Command = (
    PlaceOrder
    | ReplaceOrder
    | AmendOrder
    | PlaceList
    | CancelOrder
    | CancelAll
    | CreateMarket
    | HaltMarket
    | ResumeMarket
    | RequestSnapshot
)
