"""Binance user-data events from the platform's per-user messages.

Clearing (``exchange.clearing.user_events``) and the wallet actions
(``exchange.wallets.events``) publish one JSON message per change on
``user-events:{user_id}``; this turns each into Binance's ``executionReport``,
``balanceUpdate`` and ``outboundAccountPosition`` events, in that order.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from exchange.orders.models import OrderStatus

WORKING = {OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED}


def _num(value: str | None) -> str:
    """A decimal string without trailing zeros ("0" for none)."""
    return f"{Decimal(value).normalize():f}" if value else "0"


def _binance_status(status: str) -> str:
    # A stop order waiting for its trigger is NEW on Binance.
    return OrderStatus.NEW if status == OrderStatus.PENDING_TRIGGER else status


def execution_report(x: dict[str, Any]) -> dict[str, Any]:
    status = _binance_status(x["status"])
    return {
        "e": "executionReport",
        "E": x["eventTime"],
        "s": x["symbol"],
        "c": x["clientOrderId"],
        "S": x["side"],
        "o": x["orderType"],
        "f": x["timeInForce"],
        "q": _num(x["origQty"]),
        "p": _num(x["price"]),
        "P": _num(x["stopPrice"]),
        "F": "0",
        "g": -1,
        "C": "",
        "x": x["execution"],
        "X": status,
        "r": x["rejectReason"] or "NONE",
        "i": x["orderId"],
        "l": _num(x["lastQty"]),
        "z": _num(x["executedQty"]),
        "L": _num(x["lastPrice"]),
        "n": _num(x["commission"]),
        "N": x["commissionAsset"],
        "T": x["eventTime"],
        "t": x["tradeId"],
        "I": 0,
        "w": status in WORKING,
        "m": x["isMaker"],
        "M": False,
        "O": x["orderTime"],
        "Z": _num(x["cummulativeQuoteQty"]),
        "Y": _num(x["lastQuoteQty"]),
        "Q": _num(x["quoteOrderQty"]),
        "W": x["orderTime"],
        "V": "NONE",
    }


def binance_events(text: str) -> list[dict[str, Any]]:
    """The Binance events of one platform user message."""
    message = json.loads(text)
    when = message.get("time", 0)
    events = [execution_report(x) for x in message.get("executions", ())]
    events += [
        {"e": "balanceUpdate", "E": when, "a": b["asset"], "d": _num(b["delta"]), "T": b["time"]}
        for b in message.get("balanceUpdates", ())
    ]
    balances = message.get("balances")
    if balances:
        events.append(
            {
                "e": "outboundAccountPosition",
                "E": when,
                "u": when,
                "B": [
                    {"a": b["asset"], "f": _num(b["free"]), "l": _num(b["locked"])}
                    for b in sorted(balances, key=lambda b: b["asset"])
                ],
            }
        )
    return events
