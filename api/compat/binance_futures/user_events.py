"""Binance USDⓈ-M user-data events from the futures clearing messages.

Futures clearing publishes one ``FuturesUserMessage`` per touched user per batch
on ``futures-user-events:{user_id}`` (``exchange.events.futures``); this turns
it into Binance's events, in order: one ``ACCOUNT_CONFIG_UPDATE`` per leverage set,
one ``ORDER_TRADE_UPDATE`` per fill of each changed order (execution ``TRADE``),
else one for the order's state (``NEW``, ``CANCELED``, ``EXPIRED``, ``REJECTED``);
a modified order first gets one with execution ``AMENDMENT`` (Binance's type for a
modify); then one ``ACCOUNT_UPDATE`` when the wallet or a position moved (with the
message's reason); a message with a margin call is one ``MARGIN_CALL``. The engine's
liquidation order is Binance's: type ``LIQUIDATION``, client id ``autoclose-…``,
``NEW``, then each fill as a ``CALCULATED`` execution (Binance's liquidation
execution), then ``EXPIRED`` when the book took only part.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from api.compat.binance_futures.shapes import autoclose_id
from exchange.events.futures import (
    FuturesFill,
    FuturesMarginCall,
    FuturesOrderUpdate,
    FuturesPosition,
    decode_futures_message,
)

# An order's state after a batch without fills, as Binance's execution type.
_EXECUTION = {"NEW": "NEW", "CANCELED": "CANCELED", "EXPIRED": "EXPIRED", "REJECTED": "REJECTED"}
_MARGIN_TYPE = {"CROSSED": "cross", "ISOLATED": "isolated"}


def _num(value: str | None) -> str:
    """A decimal string without trailing zeros ("0" for none)."""
    return f"{Decimal(value).normalize():f}" if value else "0"


def _avg(quote: str, executed: str) -> str:
    qty = Decimal(executed)
    return _num(str(Decimal(quote) / qty)) if qty else "0"


_LIQUIDATION = "LIQUIDATION"


def _client_id(o: FuturesOrderUpdate) -> str:
    """A liquidation order has no client id of its own; Binance names it."""
    return autoclose_id(o["order_id"]) if o["type"] == _LIQUIDATION else o["client_order_id"]


def _order(
    o: FuturesOrderUpdate,
    fill: FuturesFill | None,
    *,
    asset: str,
    new: bool = False,
    amendment: bool = False,
) -> dict[str, Any]:
    """The ``o`` object of one ORDER_TRADE_UPDATE (``fill``: a TRADE execution, ``new``:
    the order's NEW before its fills of the same batch, ``amendment``: the modify itself,
    with the totals before the batch's fills)."""
    executed = fill["executed_qty"] if fill else o["executed_qty"]
    quote = fill["cumulative_quote_qty"] if fill else o["cumulative_quote_qty"]
    if new:
        executed = quote = "0"
        status, execution = "NEW", "NEW"
    elif amendment:
        executed, quote = _before_fills(o)
        status = "PARTIALLY_FILLED" if Decimal(executed) else "NEW"
        execution = "AMENDMENT"
    elif fill is None:
        status, execution = o["status"], _EXECUTION.get(o["status"], "NEW")
    else:
        done = Decimal(fill["executed_qty"]) >= Decimal(o["orig_qty"])
        status = "FILLED" if done else "PARTIALLY_FILLED"
        execution = "CALCULATED" if o["type"] == _LIQUIDATION else "TRADE"
    body: dict[str, Any] = {
        "s": o["symbol"],
        "c": _client_id(o),
        "S": o["side"],
        "o": o["type"],
        "f": o["time_in_force"],
        "q": _num(o["orig_qty"]),
        "p": _num(o["price"]),
        "ap": _avg(quote, executed),
        "sp": _num(o["stop_price"]),
        "x": execution,
        "X": "NEW" if status == "PENDING_TRIGGER" else status,
        "i": o["order_id"],
        "l": _num(fill["qty"]) if fill else "0",
        "z": _num(executed),
        "L": _num(fill["price"]) if fill else "0",
        "n": _num(fill["commission"]) if fill else "0",
        "T": fill["time"] if fill else o["update_time"],
        "t": fill["trade_id"] if fill else 0,
        "b": "0",
        "a": "0",
        "m": fill["is_maker"] if fill else False,
        "R": o["reduce_only"],
        "wt": o["working_type"],
        "ot": o["type"],
        "ps": "BOTH",
        "cp": o["close_position"],
        "rp": _num(fill["realized_pnl"]) if fill else "0",
        "pP": False,
        "si": 0,
        "ss": 0,
        "V": "NONE",
        "pm": "NONE",
        "gtd": 0,
    }
    if o.get("callback_rate") is not None:  # Binance sends these for trailing stops only
        body["AP"] = _num(o["activation_price"])
        body["cr"] = _num(o["callback_rate"])
    if fill:
        body["N"] = asset  # the commission asset, only on a fill
    return body


def _before_fills(o: FuturesOrderUpdate) -> tuple[str, str]:
    """(executed, cumulative quote) of the order before this batch's fills."""
    fills = o["fills"]
    if not fills:
        return o["executed_qty"], o["cumulative_quote_qty"]
    first = fills[0]
    executed = Decimal(first["executed_qty"]) - Decimal(first["qty"])
    quote = Decimal(first["cumulative_quote_qty"]) - Decimal(first["price"]) * Decimal(first["qty"])
    return str(executed), str(quote)


def _position(p: FuturesPosition) -> dict[str, Any]:
    return {
        "s": p["symbol"],
        "pa": _num(p["size"]),
        "ep": _num(p["entry_price"]),
        "cr": _num(p["realized_pnl"]),  # accumulated realized, before fees
        "up": _num(p["unrealized_pnl"]),
        "mt": _MARGIN_TYPE.get(p["margin_type"], "cross"),
        "iw": _num(p["isolated_margin"]),
        "ps": "BOTH",
    }


def _margin_call(call: FuturesMarginCall, cross_wallet: str, when: int) -> dict[str, Any]:
    """Binance's MARGIN_CALL; ``cw`` only when a cross position is called."""
    event: dict[str, Any] = {"e": "MARGIN_CALL", "E": when}
    if any(p["margin_type"] != "ISOLATED" for p in call["positions"]):
        event["cw"] = _num(cross_wallet)
    event["p"] = [
        {
            "s": p["symbol"],
            "ps": "BOTH",
            "pa": _num(p["size"]),
            "mt": p["margin_type"],
            "iw": _num(p["isolated_margin"]),
            "mp": _num(p["mark_price"]),
            "up": _num(p["unrealized_pnl"]),
            "mm": _num(p["maintenance_margin"]),
        }
        for p in call["positions"]
    ]
    return event


def futures_events(text: str) -> list[dict[str, Any]]:
    """The Binance events of one futures clearing message."""
    message = decode_futures_message(text)
    when = message["time"]
    call = message.get("margin_call")
    if call:
        return [_margin_call(call, message["cross_wallet"], when)]
    events: list[dict[str, Any]] = [
        {
            "e": "ACCOUNT_CONFIG_UPDATE",
            "E": when,
            "T": when,
            "ac": {"s": c["symbol"], "l": c["leverage"]},
        }
        for c in message.get("config", [])
    ]
    for o in message["orders"]:
        if o.get("amended"):
            order = _order(o, None, asset=message["asset"], amendment=True)
            events.append({"e": "ORDER_TRADE_UPDATE", "E": when, "T": order["T"], "o": order})
            if not o["fills"] and o["status"] in ("NEW", "PARTIALLY_FILLED"):
                continue  # nothing else happened to it in this batch
        steps: list[FuturesFill | None] = list(o["fills"]) or [None]
        if o["fills"] and o["status"] in ("CANCELED", "EXPIRED"):
            steps.append(None)  # the rest ended after the fills (IOC, market, cancel)
        if o["type"] == _LIQUIDATION:  # the engine sent it in this batch: NEW first
            new = _order(o, None, asset=message["asset"], new=True)
            events.append({"e": "ORDER_TRADE_UPDATE", "E": when, "T": new["T"], "o": new})
        for fill in steps:
            order = _order(o, fill, asset=message["asset"])
            events.append({"e": "ORDER_TRADE_UPDATE", "E": when, "T": order["T"], "o": order})
    if message["positions"] or message["income"]:
        events.append(
            {
                "e": "ACCOUNT_UPDATE",
                "E": when,
                "T": when,
                "a": {
                    "m": message["reason"],
                    "B": [
                        {
                            "a": message["asset"],
                            "wb": _num(message["wallet"]),
                            "cw": _num(message["cross_wallet"]),
                            "bc": _num(message["balance_change"]),
                        }
                    ],
                    "P": [_position(p) for p in message["positions"]],
                },
            }
        )
    return events
