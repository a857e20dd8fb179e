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
)
from matching_engine.futures.protocol import (
    FuturesOrderType as EngineType,
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


def place_command(order: FuturesOrder) -> bytes:
    contract = order.contract
    if order.type == FuturesOrderType.MARKET:
        engine_type, tif, price = EngineType.MARKET, TimeInForce.GTC, 0
    elif order.time_in_force == FuturesTimeInForce.GTX:
        assert order.price is not None
        engine_type, tif = EngineType.LIMIT_MAKER, TimeInForce.GTC
        price = units.to_ticks(contract, order.price)
    else:
        assert order.price is not None
        engine_type, tif = EngineType.LIMIT, _TIF[FuturesTimeInForce(order.time_in_force)]
        price = units.to_ticks(contract, order.price)
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
    )


def transfer_command(transfer: FuturesTransfer, atoms: int) -> bytes:
    encode = encode_deposit if transfer.direction == TransferDirection.IN else encode_withdraw
    return encode(request_id=transfer.pk, user_id=transfer.user_id, amount=atoms)
