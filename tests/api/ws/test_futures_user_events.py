"""The futures user-data renderer: one clearing message -> Binance's events, in order."""

from __future__ import annotations

import json

from api.compat.binance_futures.user_events import futures_events
from exchange.events.futures import FuturesUserMessage
from exchange.events.schema import check


def _message(**changes: object) -> str:
    message: FuturesUserMessage = {
        "time": 1_700_000_000_000,
        "asset": "USDT",
        "wallet": "1000",
        "cross_wallet": "1000",
        "balance_change": "0",
        "reason": "ORDER",
        "positions": [],
        "orders": [],
        "income": [],
        "config": [],
        "margin_call": None,
    }
    message.update(changes)  # type: ignore[typeddict-item]
    check(FuturesUserMessage, message)
    return json.dumps(message)


def _ioc(fills: list[dict[str, object]], status: str, executed: str) -> dict[str, object]:
    return {
        "symbol": "BTCUSDT",
        "order_id": 7,
        "client_order_id": "c7",
        "side": "BUY",
        "type": "LIMIT",
        "time_in_force": "IOC",
        "status": status,
        "price": "60000",
        "orig_qty": "0.1",
        "executed_qty": executed,
        "cumulative_quote_qty": "3000",
        "reduce_only": False,
        "reject_reason": "",
        "stop_price": None,
        "working_type": "CONTRACT_PRICE",
        "close_position": False,
        "activation_price": None,
        "callback_rate": None,
        "order_time": 1_699_999_999_000,
        "update_time": 1_700_000_000_000,
        "fills": fills,
    }


def test_an_ioc_partly_filled_then_expired_is_two_updates():
    fill = {
        "trade_id": 3,
        "time": 1_700_000_000_000,
        "price": "60000",
        "qty": "0.05",
        "commission": "1.5",
        "realized_pnl": "0",
        "is_maker": False,
        "executed_qty": "0.05",
        "cumulative_quote_qty": "3000",
    }
    text = _message(orders=[_ioc([fill], "EXPIRED", "0.05")])
    events = futures_events(text)
    assert [(e["e"], e["o"]["x"], e["o"]["X"], e["o"]["l"], e["o"]["z"]) for e in events] == [
        ("ORDER_TRADE_UPDATE", "TRADE", "PARTIALLY_FILLED", "0.05", "0.05"),
        ("ORDER_TRADE_UPDATE", "EXPIRED", "EXPIRED", "0", "0.05"),
    ]
    assert (events[0]["o"]["N"], events[0]["o"]["ap"]) == ("USDT", "60000")
    assert "N" not in events[1]["o"]


def test_a_funding_payment_is_one_account_update_with_its_reason():
    text = _message(
        wallet="999.4",
        cross_wallet="999.4",
        balance_change="-0.6",
        reason="FUNDING_FEE",
        income=[
            {
                "income_type": "FUNDING_FEE",
                "amount": "-0.6",
                "symbol": "BTCUSDT",
                "time": 1_700_000_000_000,
            }
        ],
    )
    assert futures_events(text) == [
        {
            "e": "ACCOUNT_UPDATE",
            "E": 1_700_000_000_000,
            "T": 1_700_000_000_000,
            "a": {
                "m": "FUNDING_FEE",
                "B": [{"a": "USDT", "wb": "999.4", "cw": "999.4", "bc": "-0.6"}],
                "P": [],
            },
        }
    ]


def test_an_order_change_alone_sends_no_account_update():
    text = _message(orders=[_ioc([], "CANCELED", "0")])
    assert [e["e"] for e in futures_events(text)] == ["ORDER_TRADE_UPDATE"]


def test_a_leverage_change_is_one_account_config_update():
    text = _message(reason="MARGIN_TRANSFER", config=[{"symbol": "BTCUSDT", "leverage": 25}])
    assert futures_events(text) == [
        {
            "e": "ACCOUNT_CONFIG_UPDATE",
            "E": 1_700_000_000_000,
            "T": 1_700_000_000_000,
            "ac": {"s": "BTCUSDT", "l": 25},
        }
    ]


def test_a_margin_type_change_is_an_account_update_with_its_reason():
    position = {
        "symbol": "BTCUSDT",
        "size": "0",
        "entry_price": "0",
        "cost": "0",
        "leverage": 20,
        "margin_type": "ISOLATED",
        "isolated_margin": "0",
        "unrealized_pnl": "0",
        "realized_pnl": "-12.50000000",
    }
    text = _message(reason="MARGIN_TYPE_CHANGE", positions=[position])
    [event] = futures_events(text)
    assert (event["e"], event["a"]["m"], event["a"]["P"][0]["mt"]) == (
        "ACCOUNT_UPDATE",
        "MARGIN_TYPE_CHANGE",
        "isolated",
    )
    # and the position's accumulated realized PnL is Binance's cr
    assert event["a"]["P"][0]["cr"] == "-12.5"


def test_a_margin_call_is_one_margin_call_event_with_the_cross_wallet():
    call = {
        "margin_ratio": "0.85",
        "positions": [
            {
                "symbol": "BTCUSDT",
                "size": "1.000",
                "margin_type": "CROSSED",
                "isolated_margin": "0",
                "mark_price": "57300.00",
                "unrealized_pnl": "-2700.00000000",
                "maintenance_margin": "286.50000000",
            }
        ],
    }
    text = _message(wallet="3070", cross_wallet="3070.00000000", margin_call=call)
    assert futures_events(text) == [
        {
            "e": "MARGIN_CALL",
            "E": 1_700_000_000_000,
            "cw": "3070",
            "p": [
                {
                    "s": "BTCUSDT",
                    "ps": "BOTH",
                    "pa": "1",
                    "mt": "CROSSED",
                    "iw": "0",
                    "mp": "57300",
                    "up": "-2700",
                    "mm": "286.5",
                }
            ],
        }
    ]


def test_an_isolated_margin_call_has_no_cross_wallet():
    call = {
        "margin_ratio": "0.9",
        "positions": [
            {
                "symbol": "BTCUSDT",
                "size": "-0.5",
                "margin_type": "ISOLATED",
                "isolated_margin": "100",
                "mark_price": "60100",
                "unrealized_pnl": "-50",
                "maintenance_margin": "45",
            }
        ],
    }
    [event] = futures_events(_message(margin_call=call))
    assert "cw" not in event and event["p"][0]["iw"] == "100"


def test_a_liquidation_order_is_new_then_calculated_then_expired():
    fill = {
        "trade_id": 9,
        "time": 1_700_000_000_000,
        "price": "57000",
        "qty": "0.6",
        "commission": "0",
        "realized_pnl": "-1800",
        "is_maker": False,
        "executed_qty": "0.6",
        "cumulative_quote_qty": "34200",
    }
    order = {
        **_ioc([fill], "EXPIRED", "0.6"),
        "order_id": 2**62 + 1,
        "client_order_id": "",
        "type": "LIQUIDATION",
        "side": "SELL",
        "orig_qty": "1",
        "price": "56930.1",
        "cumulative_quote_qty": "34200",
        "reduce_only": True,
    }
    events = [e["o"] for e in futures_events(_message(orders=[order]))]
    assert [(o["x"], o["X"], o["l"], o["z"], o["ap"], o["o"], o["ot"]) for o in events] == [
        ("NEW", "NEW", "0", "0", "0", "LIQUIDATION", "LIQUIDATION"),
        ("CALCULATED", "PARTIALLY_FILLED", "0.6", "0.6", "57000", "LIQUIDATION", "LIQUIDATION"),
        ("EXPIRED", "EXPIRED", "0", "0.6", "57000", "LIQUIDATION", "LIQUIDATION"),
    ]
    assert {o["c"] for o in events} == {f"autoclose-{2**62 + 1}"}
    assert (events[1]["rp"], events[1]["n"], events[1]["R"]) == ("-1800", "0", True)


def test_a_modified_resting_order_is_one_amendment_update():
    # given a GTC order a modify changed (quantity 0.1 -> 0.06) with nothing filled since
    order = {**_ioc([], "NEW", "0"), "time_in_force": "GTC", "orig_qty": "0.06", "amended": True}
    order["cumulative_quote_qty"] = "0"
    events = futures_events(_message(orders=[order]))
    # then Binance's AMENDMENT execution with the new quantity, and nothing else
    assert [(e["o"]["x"], e["o"]["X"], e["o"]["q"], e["o"]["z"]) for e in events] == [
        ("AMENDMENT", "NEW", "0.06", "0"),
    ]


def test_a_modify_that_filled_at_once_is_amendment_then_its_trades():
    # given a modify that re-priced the order across the book: it filled 0.05 of 0.1
    fill = {
        "trade_id": 9,
        "time": 1_700_000_000_000,
        "price": "60000",
        "qty": "0.05",
        "commission": "1.5",
        "realized_pnl": "0",
        "is_maker": False,
        "executed_qty": "0.05",
        "cumulative_quote_qty": "3000",
    }
    order = {**_ioc([fill], "PARTIALLY_FILLED", "0.05"), "time_in_force": "GTC", "amended": True}
    events = futures_events(_message(orders=[order]))
    # then the amendment comes first, with the totals before the fill, then the trade
    assert [(e["o"]["x"], e["o"]["X"], e["o"]["z"]) for e in events] == [
        ("AMENDMENT", "NEW", "0"),
        ("TRADE", "PARTIALLY_FILLED", "0.05"),
    ]
