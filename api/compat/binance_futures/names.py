"""The project's field names (the typed requests' attributes) as ``/fapi`` parameters.

Only the names that differ; every other field is sent under its own name.
"""

from __future__ import annotations

PARAMETERS: dict[str, str] = {
    "client_order_id": "clientOrderId",
    "client_request_id": "clientTranId",
    "direction": "type",
    "stop_price": "stopPrice",
    "activation_price": "activationPrice",
    "callback_rate": "callbackRate",
    "close_position": "closePosition",
    "reduce_only": "reduceOnly",
    "time_in_force": "timeInForce",
    "working_type": "workingType",
    "margin_type": "marginType",
    "income_type": "incomeType",
    "auto_close_type": "autoCloseType",
    "countdown_ms": "countdownTime",
    "orders": "batchOrders",
}
