"""ccxt's binanceusdm class with its DEFAULT options and only its hosts changed.

Two accounts move collateral in, set leverage, trade the BTCUSDT perpetual and close;
every balance, position, fee and income row is checked to the last unit against
docs/futures.md's formulas (maker 0.02 %, taker 0.05 %, first bracket 0.4 %).
"""

from __future__ import annotations

from decimal import Decimal

import ccxt
import pytest

from exchange.futures.models import FuturesOrder, FuturesWallet, Income, Position
from tests.api.compat.binance_futures.conftest import set_mark, transferred
from tests.api.compat.clients import with_host
from tests.api.compat.conftest import LiveExchange, Trader, balance, wait_until

SYMBOL = "BTC/USDT:USDT"


def usdm(live: LiveExchange, trader: Trader | None = None) -> ccxt.binanceusdm:
    exchange = ccxt.binanceusdm(
        {
            "apiKey": trader.key if trader else None,
            "secret": trader.secret if trader else None,
            "enableRateLimit": False,
        }
    )
    return with_host(exchange, live)


def wallet(trader: Trader) -> Decimal:
    row = FuturesWallet.objects.filter(user=trader.user).first()
    return row.balance if row else Decimal(0)


def funded(live: LiveExchange, amount: int) -> tuple[Trader, ccxt.binanceusdm]:
    """A trader with ``amount`` USDT moved into futures through ccxt's ``transfer``."""
    trader = live.trader(USDT=str(amount * 2))
    ex = usdm(live, trader)
    ex.load_markets()
    moved = ex.transfer("USDT", amount, "spot", "swap")
    wait_until(lambda: transferred(int(moved["id"])), what="the transfer cleared")
    assert balance(trader, "USDT") == (Decimal(amount), Decimal(0))
    assert wallet(trader) == Decimal(amount)
    return trader, ex


def test_load_markets_lists_the_perpetual(live, contract):
    # given ccxt binanceusdm with its default options
    ex = usdm(live, live.trader())
    # when it loads markets
    markets = ex.load_markets()
    # then the perpetual is a linear swap with the contract's filters
    perp = markets[SYMBOL]
    assert (perp["id"], perp["type"], perp["linear"], perp["settle"]) == (
        "BTCUSDT",
        "swap",
        True,
        "USDT",
    )
    assert perp["precision"]["price"] == 0.1 and perp["precision"]["amount"] == 0.001
    assert perp["limits"]["cost"]["min"] == 5 and perp["limits"]["amount"]["min"] == 0.001
    assert perp["maker"] == 0.0002 and perp["taker"] == 0.0005
    # and a fresh account's futures balance lists the margin asset at 0
    assert ex.fetch_balance()["USDT"] == {"free": 0.0, "used": 0.0, "total": 0.0}


def test_two_accounts_trade_with_exact_margin_fees_and_income(live, contract):
    # given alice and bob with 5,000 USDT each in futures, alice at 10x, bob at 20x
    alice, ex_a = funded(live, 5000)
    bob, ex_b = funded(live, 5000)
    assert ex_a.fetch_balance()["USDT"]["free"] == 5000
    with pytest.raises(ccxt.MarginModeAlreadySet, match="-4046"):  # positions are cross
        ex_a.set_margin_mode("cross", SYMBOL)
    ex_a.set_leverage(10, SYMBOL)
    assert Position.objects.get(user=alice.user, contract=contract).leverage == 10

    # when alice rests a sell of 0.1 at 60,000 and bob buys it at market
    ask = ex_a.create_order(SYMBOL, "limit", "sell", 0.1, 60000)
    assert ask["status"] == "open"
    bid = ex_b.create_order(SYMBOL, "market", "buy", 0.1)
    assert bid["status"] == "closed" and bid["filled"] == 0.1 and bid["average"] == 60000
    wait_until(lambda: FuturesOrder.objects.get(pk=int(ask["id"])).status == "FILLED")

    # then wallets paid the fees: alice maker 6000 x 0.02 % = 1.2, bob taker 3
    assert wallet(alice) == Decimal("4998.8") and wallet(bob) == Decimal("4997")
    # and positions at the mark 60,000: bob long 0.1 at 20x, alice short at 10x
    [long] = ex_b.fetch_positions([SYMBOL])
    assert (long["side"], long["contracts"], long["entryPrice"], long["leverage"]) == (
        "long",
        0.1,
        60000,
        20,
    )
    assert long["initialMargin"] == 300 and long["maintenanceMargin"] == 24
    [short] = ex_a.fetch_positions([SYMBOL])
    assert (short["side"], short["contracts"], short["initialMargin"]) == ("short", 0.1, 600)
    free = ex_b.fetch_balance()["USDT"]
    assert (free["total"], free["free"]) == (4997, 4697)

    # when the mark moves to 61,000, then PnL and margin follow it
    set_mark(contract, Decimal(61_000))
    [long] = ex_b.fetch_positions([SYMBOL])
    assert long["unrealizedPnl"] == 100 and long["markPrice"] == 61000
    assert ex_b.fetch_balance()["USDT"]["free"] == 4997 + 100 - 305

    # when bob closes at 61,000 against alice's reduce-only bid
    ex_a.create_order(SYMBOL, "limit", "buy", 0.1, 61000, {"reduceOnly": True})
    ex_b.create_order(SYMBOL, "market", "sell", 0.1, None, {"reduceOnly": True})
    wait_until(lambda: not Position.objects.get(user=bob.user, contract=contract).size)

    # then realized PnL and fees to the last unit: bob +100 - 3.05, alice -100 - 1.22
    assert wallet(bob) == Decimal("4997") + 100 - Decimal("3.05")
    assert wallet(alice) == Decimal("4998.8") - 100 - Decimal("1.22")
    trades = ex_b.fetch_my_trades(SYMBOL)
    assert [(t["side"], t["price"], t["fee"]["cost"]) for t in trades] == [
        ("buy", 60000, 3),
        ("sell", 61000, 3.05),
    ]
    assert [t["info"]["realizedPnl"] for t in trades] == ["0", "100"]
    income = {(r.income_type, r.amount) for r in Income.objects.filter(user=bob.user)}
    assert income == {
        ("TRANSFER", Decimal(5000)),
        ("COMMISSION", Decimal(-3)),
        ("COMMISSION", Decimal("-3.05")),
        ("REALIZED_PNL", Decimal(100)),
    }
    listed = ex_b.fapiPrivateGetIncome({"symbol": "BTCUSDT", "incomeType": "COMMISSION"})
    assert [r["income"] for r in listed] == ["-3", "-3.05"]
    assert (
        ex_b.fetch_positions([SYMBOL]) == [] or ex_b.fetch_positions([SYMBOL])[0]["contracts"] == 0
    )
    set_mark(contract, Decimal(60_000))


def test_open_orders_cancel_and_cancel_all(live, contract):
    trader, ex = funded(live, 1000)
    first = ex.create_order(SYMBOL, "limit", "buy", 0.01, 59000, {"clientOrderId": "fut-1"})
    second = ex.create_order(SYMBOL, "limit", "buy", 0.01, 59001)
    assert [o["id"] for o in ex.fetch_open_orders(SYMBOL)] == [first["id"], second["id"]]
    ex.options["warnOnFetchOpenOrdersWithoutSymbol"] = False  # ccxt's own guard
    assert [o["id"] for o in ex.fetch_open_orders()] == [first["id"], second["id"]]
    by_client = ex.fetch_order(None, SYMBOL, {"origClientOrderId": "fut-1"})
    assert by_client["id"] == first["id"]
    cancelled = ex.cancel_order(first["id"], SYMBOL)
    assert cancelled["status"] == "canceled"
    ex.cancel_all_orders(SYMBOL)
    wait_until(lambda: not ex.fetch_open_orders(SYMBOL))
    assert [o["status"] for o in ex.fetch_orders(SYMBOL)] == ["canceled", "canceled"]
    assert wallet(trader) == Decimal(1000)


@pytest.mark.parametrize(
    ("call", "exception", "code"),
    [
        (
            lambda ex: ex.fapiPrivatePostLeverage({"symbol": "BTCUSDT", "leverage": 200}),
            ccxt.BadRequest,
            "-4028",
        ),
        (lambda ex: ex.create_order(SYMBOL, "market", "buy", 10), ccxt.ExchangeError, "-2019"),
        (
            lambda ex: ex.create_order(SYMBOL, "market", "sell", 0.01, None, {"reduceOnly": True}),
            ccxt.ExchangeError,
            "-2022",
        ),
        (
            lambda ex: ex.fapiPrivatePostOrder(
                {"symbol": "NOPEUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"}
            ),
            ccxt.BadSymbol,
            "-1121",
        ),
        (
            lambda ex: ex.create_order(SYMBOL, "limit", "buy", 0.01, 59000.05),
            ccxt.BadRequest,
            "-4014",
        ),
        (
            lambda ex: ex.create_order(
                SYMBOL, "limit", "buy", 0.01, 59000, {"positionSide": "LONG"}
            ),
            ccxt.OperationRejected,
            "-4061",
        ),
        (lambda ex: ex.set_position_mode(True), ccxt.BadRequest, "-1130"),
        (lambda ex: ex.add_margin(SYMBOL, 10), ccxt.BadRequest, "-4049"),  # a cross position
        (lambda ex: ex.reduce_margin(SYMBOL, 10), ccxt.BadRequest, "-4049"),
    ],
)
def test_refusals_have_binance_codes_and_change_nothing(live, contract, call, exception, code):
    # given a trader with 100 USDT in futures and no position
    trader, ex = funded(live, 100)
    ex.markets[SYMBOL]["precision"]["price"] = 1e-8  # let a bad price through to the server
    # when / then
    with pytest.raises(exception, match=code) as raised:
        call(ex)
    assert type(raised.value) is exception  # the class docs/bots.md names
    assert wallet(trader) == Decimal(100)
    assert not Position.objects.filter(user=trader.user).exclude(size=0).exists()
    assert not FuturesOrder.objects.filter(user=trader.user, status="NEW").exists()


def test_a_reduce_only_stop_market_rests_until_triggered(live, contract):
    # given a long of 0.01 (bought from a resting ask)
    seller, ex_s = funded(live, 1000)
    trader, ex = funded(live, 1000)
    ex_s.create_order(SYMBOL, "limit", "sell", 0.01, 60000)
    ex.create_order(SYMBOL, "market", "buy", 0.01)
    wait_until(lambda: Position.objects.get(user=trader.user, contract=contract).size)
    # when it places a reduce-only STOP_MARKET below the mark
    stop = ex.create_order(
        SYMBOL, "STOP_MARKET", "sell", 0.01, None, {"stopPrice": 55000, "reduceOnly": True}
    )
    # then it is open with its trigger, and cancelled it leaves the position alone
    assert stop["status"] == "open" and stop["triggerPrice"] == 55000
    assert stop["reduceOnly"] is True
    assert ex.cancel_order(stop["id"], SYMBOL)["status"] == "canceled"
    assert Position.objects.get(user=trader.user, contract=contract).size == Decimal("0.01")
