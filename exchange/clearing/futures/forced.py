"""The forced closes of a batch: liquidation orders and ADL closes, as ``ForcedOrder`` rows.

A liquidation shows in the engine's output as the IOC's TRADE events (taker order id >=
``LIQUIDATION_ID_BASE``, the liquidated user as taker) and, for what the book could not
take, ADL events (liquidated user, counterparty, bankruptcy price, quantity). Binance
lists both in ``forceOrders``: the liquidated user's one LIQUIDATION order for the whole
close, and each counterparty's ADL order. One row per entry, user, contract and kind.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from exchange.futures.models import AutoCloseType, Contract, ForcedOrder, OrderSide


class ForcedCloses:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, int, int, str], ForcedOrder] = {}

    def add(
        self,
        *,
        entry_id: str,
        time: datetime,
        user: int,
        contract: Contract,
        kind: AutoCloseType,
        side: OrderSide,
        price: Decimal,
        qty: Decimal,
        quote: Decimal,
        engine_order_id: int | None = None,
    ) -> None:
        key = (entry_id, user, contract.pk, kind.value)
        row = self.rows.get(key)
        if row is None:
            self.rows[key] = ForcedOrder(
                user_id=user,
                contract=contract,
                auto_close_type=kind,
                side=side,
                price=price,
                quantity=qty,
                cum_quote=quote,
                engine_order_id=engine_order_id,
                time=time,
                entry_id=entry_id,
            )
            return
        row.quantity += qty
        row.cum_quote += quote
        # The worst price the close reached: lowest for a sell, highest for a buy.
        row.price = min(row.price, price) if side == OrderSide.SELL else max(row.price, price)
        if row.engine_order_id is None:
            row.engine_order_id = engine_order_id

    def write(self) -> None:
        ForcedOrder.objects.bulk_create(list(self.rows.values()))
