"""The project's field names (the typed requests' attributes) as ``/api/v3`` parameters.

Only the names that differ; every other field is sent under its own name.
"""

from __future__ import annotations

PARAMETERS: dict[str, str] = {
    "client_order_id": "newClientOrderId",
    "new_client_order_id": "newClientOrderId",
    "list_client_order_id": "listClientOrderId",
    "order_id": "orderId",
    "order_list_id": "orderListId",
    "from_id": "fromId",
    "new_qty": "newQty",
    "quote_order_qty": "quoteOrderQty",
    "stop_price": "stopPrice",
    "trailing_delta": "trailingDelta",
    "time_in_force": "timeInForce",
    "self_trade_prevention": "selfTradePreventionMode",
    "mode": "cancelReplaceMode",
    "above": "aboveType",
    "below": "belowType",
    "countdown_ms": "countdownTime",
}
