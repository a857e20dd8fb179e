"""The Binance user-data consumer accepts every message of the user-event schema."""

from __future__ import annotations

import json

from api.ws.user_data import binance_events
from exchange.events.schema import check
from exchange.events.user import UserMessage

EXECUTION = {
    "symbol": "BTCUSDT",
    "order_id": 7,
    "client_order_id": "c7",
    "side": "BUY",
    "type": "LIMIT",
    "status": "PARTIALLY_FILLED",
    "price": "60000.00",
    "orig_qty": "0.20000",
    "executed_qty": "0.10000",
    "cumulative_quote_qty": "6000.0000000",
    "update_time": 1700000000123,
    "execution": "TRADE",
    "time_in_force": "GTC",
    "stop_price": None,
    "quote_order_qty": None,
    "reject_reason": "",
    "last_qty": "0.1",
    "last_price": "60000",
    "last_quote_qty": "6000",
    "commission": "0.0002",
    "commission_asset": "BTC",
    "trade_id": 3,
    "is_maker": False,
    "order_time": 1700000000000,
    "order_list_id": -1,
    "event_time": 1700000000123,
}
ORDER = {k: EXECUTION[k] for k in list(EXECUTION)[:11]}


def test_a_clearing_message_becomes_an_execution_report_and_an_account_position():
    # given a message of the schema
    message = {
        "time": 1700000000123,
        "orders": [ORDER],
        "balances": [{"asset": "USDT", "free": "94000.000", "locked": "6000"}],
        "executions": [EXECUTION],
    }
    check(UserMessage, message)
    # when the consumer reads it
    report, position = binance_events(json.dumps(message))
    # then the Binance events carry its values
    assert {k: report[k] for k in "ecSoxXilzLnNtmZY"} == {
        "e": "executionReport",
        "c": "c7",
        "S": "BUY",
        "o": "LIMIT",
        "x": "TRADE",
        "X": "PARTIALLY_FILLED",
        "i": 7,
        "l": "0.1",
        "z": "0.1",
        "L": "60000",
        "n": "0.0002",
        "N": "BTC",
        "t": 3,
        "m": False,
        "Z": "6000",
        "Y": "6000",
    }
    assert (report["r"], report["P"], report["Q"], report["w"]) == ("NONE", "0", "0", True)
    assert position == {
        "e": "outboundAccountPosition",
        "E": 1700000000123,
        "u": 1700000000123,
        "B": [{"a": "USDT", "f": "94000", "l": "6000"}],
    }


def test_a_wallet_message_becomes_a_balance_update_and_an_account_position():
    # given a message of the schema
    message = {
        "time": 5,
        "balances": [{"asset": "USDT", "free": "25", "locked": "0"}],
        "balance_updates": [{"asset": "USDT", "delta": "25.00", "time": 5}],
    }
    check(UserMessage, message)
    # when / then
    assert binance_events(json.dumps(message)) == [
        {"e": "balanceUpdate", "E": 5, "a": "USDT", "d": "25", "T": 5},
        {
            "e": "outboundAccountPosition",
            "E": 5,
            "u": 5,
            "B": [{"a": "USDT", "f": "25", "l": "0"}],
        },
    ]


def test_an_amend_keep_priority_is_an_execution_report_replaced():
    # given the execution clearing sends for an accepted AMEND (no fill)
    replaced = {
        **EXECUTION,
        "execution": "REPLACED",
        "status": "NEW",
        "orig_qty": "0.15000",
        "executed_qty": "0",
        "cumulative_quote_qty": "0",
        "last_qty": "0",
        "last_price": "0",
        "last_quote_qty": "0",
        "commission": "0",
        "commission_asset": None,
        "trade_id": -1,
    }
    message = {"time": 1700000000123, "orders": [], "balances": [], "executions": [replaced]}
    check(UserMessage, message)
    # then Binance's executionReport says REPLACED with the new quantity
    [report] = binance_events(json.dumps(message))
    assert (report["e"], report["x"], report["X"], report["q"], report["l"]) == (
        "executionReport",
        "REPLACED",
        "NEW",
        "0.15",
        "0",
    )
