"""Binance user-data events from the platform's per-user messages.

Clearing (``exchange.clearing.user_events``) and the wallet actions
(``exchange.wallets.events``) publish one JSON message per change on
``user-events:{user_id}`` in the project's own names (``exchange.events.user``);
this turns each into Binance's ``executionReport``, ``listStatus`` (an OCO's),
``balanceUpdate`` and ``outboundAccountPosition`` events, in that order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exchange.events.user import ExecutionReport, OrderListUpdate, decode_user_message
from exchange.orders.models import OrderStatus

WORKING = {OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED}


def _num(value: str | None) -> str:
    """A decimal string without trailing zeros ("0" for none)."""
    return f"{Decimal(value).normalize():f}" if value else "0"


def _binance_status(status: str) -> str:
    # A stop order waiting for its trigger is NEW on Binance.
    return OrderStatus.NEW if status == OrderStatus.PENDING_TRIGGER else status


def execution_report(x: ExecutionReport) -> dict[str, Any]:
    status = _binance_status(x["status"])
    return {
        "e": "executionReport",
        "E": x["event_time"],
        "s": x["symbol"],
        "c": x["client_order_id"],
        "S": x["side"],
        "o": x["type"],
        "f": x["time_in_force"],
        "q": _num(x["orig_qty"]),
        "p": _num(x["price"]),
        "P": _num(x["stop_price"]),
        "F": "0",
        "g": x.get("order_list_id", -1),
        "C": "",
        "x": x["execution"],
        "X": status,
        "r": x["reject_reason"] or "NONE",
        "i": x["order_id"],
        "l": _num(x["last_qty"]),
        "z": _num(x["executed_qty"]),
        "L": _num(x["last_price"]),
        "n": _num(x["commission"]),
        "N": x["commission_asset"],
        "T": x["event_time"],
        "t": x["trade_id"],
        "I": 0,
        "w": status in WORKING,
        "m": x["is_maker"],
        "M": False,
        "O": x["order_time"],
        "Z": _num(x["cumulative_quote_qty"]),
        "Y": _num(x["last_quote_qty"]),
        "Q": _num(x["quote_order_qty"]),
        "W": x["order_time"],
        "V": "NONE",
    }


def list_status(x: OrderListUpdate, when: int) -> dict[str, Any]:
    """Binance's ``listStatus`` event of an OCO."""
    return {
        "e": "listStatus",
        "E": when,
        "s": x["symbol"],
        "g": x["order_list_id"],
        "c": x["contingency_type"],
        "l": x["list_status_type"],
        "L": x["list_order_status"],
        "r": "NONE",
        "C": x["list_client_order_id"],
        "T": x["transaction_time"],
        "O": [
            {"s": leg["symbol"], "i": leg["order_id"], "c": leg["client_order_id"]}
            for leg in x["orders"]
        ],
    }


def binance_events(text: str) -> list[dict[str, Any]]:
    """The Binance events of one platform user message."""
    message = decode_user_message(text)
    when = message["time"]
    events = [execution_report(x) for x in message.get("executions", ())]
    events += [list_status(x, when) for x in message.get("order_lists", ())]
    events += [
        {"e": "balanceUpdate", "E": when, "a": b["asset"], "d": _num(b["delta"]), "T": b["time"]}
        for b in message.get("balance_updates", ())
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
