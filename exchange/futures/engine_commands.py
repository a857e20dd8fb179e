"""The engine commands of futures rows: one function per row kind, so that entry and the
sweeper that re-sends after a crash build the same bytes."""

from __future__ import annotations

from exchange.futures import units
from exchange.futures.models import (
    FuturesOrder,
    FuturesOrderType,
    FuturesTimeInForce,
    FuturesTransfer,
    OrderSide,
    TransferDirection,
    WorkingType,
)
from matching_engine.futures.protocol import (
    FuturesOrderType as EngineType,
)
from matching_engine.futures.protocol import (
    WorkingType as EngineWorking,
)
from matching_engine.futures.protocol import (
    encode_deposit,
    encode_place,
    encode_withdraw,
)
from matching_engine.protocol import Side, TimeInForce

_TIF = {
    FuturesTimeInForce.GTC: TimeInForce.GTC,
    FuturesTimeInForce.IOC: TimeInForce.IOC,
    FuturesTimeInForce.FOK: TimeInForce.FOK,
}


_CONDITIONAL = {
    FuturesOrderType.STOP: EngineType.STOP,
    FuturesOrderType.STOP_MARKET: EngineType.STOP_MARKET,
    FuturesOrderType.TAKE_PROFIT: EngineType.TAKE_PROFIT,
    FuturesOrderType.TAKE_PROFIT_MARKET: EngineType.TAKE_PROFIT_MARKET,
    FuturesOrderType.TRAILING_STOP_MARKET: EngineType.TRAILING_STOP_MARKET,
}


def place_command(order: FuturesOrder) -> bytes:
    contract = order.contract
    price = 0 if order.price is None else units.to_ticks(contract, order.price)
    # A trailing stop's engine stop price is its activation price (0: trail at once).
    trigger = order.activation_price if order.callback_rate is not None else order.stop_price
    if order.type == FuturesOrderType.MARKET:
        engine_type, tif = EngineType.MARKET, TimeInForce.GTC
    elif order.type in _CONDITIONAL:
        engine_type = _CONDITIONAL[FuturesOrderType(order.type)]
        tif = _TIF[FuturesTimeInForce(order.time_in_force)] if price else TimeInForce.GTC
    elif order.time_in_force == FuturesTimeInForce.GTX:
        engine_type, tif = EngineType.LIMIT_MAKER, TimeInForce.GTC
    else:
        engine_type, tif = EngineType.LIMIT, _TIF[FuturesTimeInForce(order.time_in_force)]
    return encode_place(
        order_id=order.pk,
        user_id=order.user_id,
        contract=contract.engine_id,
        side=Side.BUY if order.side == OrderSide.BUY else Side.SELL,
        order_type=engine_type,
        time_in_force=tif,
        price=price,
        quantity=units.to_lots(contract, order.quantity),
        reduce_only=order.reduce_only,
        stop_price=units.to_ticks(contract, trigger) if trigger is not None else 0,
        working_type=EngineWorking.MARK_PRICE
        if order.working_type == WorkingType.MARK_PRICE
        else EngineWorking.CONTRACT_PRICE,
        close_position=order.close_position,
        # percent to the engine's 0.01 % units
        callback_rate=int(order.callback_rate * 100) if order.callback_rate is not None else 0,
    )


def transfer_command(transfer: FuturesTransfer, atoms: int) -> bytes:
    encode = encode_deposit if transfer.direction == TransferDirection.IN else encode_withdraw
    return encode(request_id=transfer.pk, user_id=transfer.user_id, amount=atoms)
