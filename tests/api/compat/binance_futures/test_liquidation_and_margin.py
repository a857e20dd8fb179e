"""Liquidation history, the ADL queue, isolated margin and aggregate trades, through
python-binance's and ccxt's own methods against the live perpetual.

The liquidation is docs/futures.md's worked example with a bid at 57,100: a 20x long of
1 BTC at 60,000 with 3,100 USDT moved in is liquidated when the mark falls to 57,100
(below its liquidation price 57,165.8); the liquidation's IOC sells to the bid.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests
from binance.client import Client
from binance.exceptions import BinanceAPIException

from exchange.futures.adl import adl_quantiles
from exchange.futures.marks import mark_of
from exchange.futures.models import (
    FUTURES_OPEN_STATUSES,
    Contract,
    ForcedOrder,
    FuturesOrder,
    FuturesTrade,
    Income,
    IsolatedMarginChange,
    Position,
)
from exchange.futures.services import cancel_futures_order
from tests.api.compat.binance.test_bad_input import signed
from tests.api.compat.binance_futures.conftest import set_mark, transferred
from tests.api.compat.binance_futures.test_ccxt_binanceusdm import usdm, wallet
from tests.api.compat.binance_futures.test_python_binance_futures import futures_client
from tests.api.compat.conftest import LiveExchange, Trader, wait_until

SYMBOL = "BTCUSDT"
D = Decimal


def funded(live: LiveExchange, amount: str) -> tuple[Trader, Client]:
    trader = live.trader(USDT=amount)
    client = futures_client(live, trader)
    moved = client.make_universal_transfer(type="MAIN_UMFUTURE", asset="USDT", amount=amount)
    wait_until(lambda: transferred(moved["tranId"]), what="the transfer")
    return trader, client


def limit(client: Client, side: str, qty: str, price: str) -> dict:
    return client.futures_create_order(
        symbol=SYMBOL, side=side, type="LIMIT", timeInForce="GTC", quantity=qty, price=price
    )


def position(trader: Trader, contract: Contract) -> Position:
    return Position.objects.get(user=trader.user, contract=contract)


@pytest.fixture
def at_60000(quiet_book: Contract) -> Iterator[Contract]:
    """The contract with an empty book at a mark of 60,000; both put back afterwards, so
    the package's later modules find the book as they would without this one."""
    set_mark(quiet_book, D(60_000))
    yield quiet_book
    set_mark(quiet_book, D(60_000))
    for left in FuturesOrder.objects.filter(contract=quiet_book, status__in=FUTURES_OPEN_STATUSES):
        cancel_futures_order(user=left.user, order_id=left.pk)
    wait_until(
        lambda: (
            not FuturesOrder.objects.filter(
                contract=quiet_book, status__in=FUTURES_OPEN_STATUSES
            ).exists()
        ),
        what="the book to empty",
    )


def test_a_liquidation_is_listed_in_force_orders_to_the_last_unit(live, at_60000):
    contract = at_60000
    # given: two asks at 60,000 and one at 60,000.5, and a trader with 3,100 USDT at 20x
    seller, sell = funded(live, "20000")
    asks = [limit(sell, "SELL", q, p) for q, p in (("0.4", "60000"), ("0.6", "60000"))]
    limit(sell, "SELL", "0.01", "60000.5")
    trader, client = funded(live, "3100")

    # when: the trader buys 1 BTC at 60,000 (two fills of one taker order at one price),
    # and another account buys 0.01 at market (one fill at 60,000.5)
    bought = limit(client, "BUY", "1", "60000")
    assert bought["status"] == "FILLED"
    _, other = funded(live, "1000")
    other.futures_create_order(symbol=SYMBOL, side="BUY", type="MARKET", quantity="0.01")
    wait_until(
        lambda: (
            FuturesTrade.objects.filter(contract=contract, qty=D("0.01")).exists()
            and FuturesOrder.objects.get(pk=asks[1]["orderId"]).status == "FILLED"
        ),
        what="the fills cleared",
    )

    # then: aggTrades has them as two aggregate trades, the first of two fills
    last_two = client.futures_aggregate_trades(symbol=SYMBOL)[-2:]
    first_seq = FuturesTrade.objects.get(contract=contract, maker_order_id=asks[0]["orderId"])
    a = first_seq.trade_seq
    assert [{k: t[k] for k in "apqflm"} for t in last_two] == [
        {"a": a, "p": "60000", "q": "1", "f": a, "l": a + 1, "m": False},
        {"a": a + 2, "p": "60000.5", "q": "0.01", "f": a + 2, "l": a + 2, "m": False},
    ]
    assert last_two[0]["T"] == int(first_seq.time.timestamp() * 1000)
    # fromId inside the first aggregate skips it; fromId at its start includes it
    assert [t["a"] for t in client.futures_aggregate_trades(symbol=SYMBOL, fromId=a)][:2] == [
        a,
        a + 2,
    ]
    assert client.futures_aggregate_trades(symbol=SYMBOL, fromId=a + 1)[0]["a"] == a + 2
    # and the ADL queue shows the long, by the engine's rule
    [rank] = client.futures_adl_quantile_estimate(symbol=SYMBOL)
    [expected] = adl_quantiles(user=trader.user, mark_of=mark_of, contract=contract)
    assert rank == {
        "symbol": SYMBOL,
        "adlQuantile": {"LONG": 0, "SHORT": 0, "BOTH": expected.quantile},
    }
    assert usdm(live, trader).fetch_positions_adl_rank(["BTC/USDT:USDT"])[0]["rank"] == (
        expected.quantile
    )
    assert client.futures_liquidation_orders(symbol=SYMBOL) == []

    # when: a bid of 10 BTC at 57,100 rests and the mark falls to 57,100
    _, bid = funded(live, "60000")
    limit(bid, "BUY", "10", "57100")
    set_mark(contract, D(57_100))
    wait_until(
        lambda: ForcedOrder.objects.filter(user=trader.user).exists(), what="the liquidation"
    )

    # then: one LIQUIDATION order: 1 BTC sold to the bid, no taker fee; the 170 USDT left
    # pays the liquidation fee (0.5 % x 57,100 = 285.5, capped at what is left)
    [forced] = client.futures_liquidation_orders(symbol=SYMBOL)
    row = ForcedOrder.objects.get(user=trader.user)
    assert row.engine_order_id  # the user stream's autoclose order id is the engine's
    assert forced == {
        "orderId": row.engine_order_id,
        "symbol": SYMBOL,
        "status": "FILLED",
        "clientOrderId": f"autoclose-{row.engine_order_id}",
        "price": "57100",
        "avgPrice": "57100",
        "origQty": "1",
        "executedQty": "1",
        "cumQuote": "57100",
        "timeInForce": "IOC",
        "type": "LIMIT",
        "reduceOnly": False,
        "closePosition": False,
        "side": "SELL",
        "positionSide": "BOTH",
        "stopPrice": "0",
        "workingType": "CONTRACT_PRICE",
        "priceProtect": False,
        "origType": "LIMIT",
        "time": int(row.time.timestamp() * 1000),
        "updateTime": int(row.time.timestamp() * 1000),
    }
    assert row.engine_order_id is not None and row.engine_order_id >= 1 << 62
    assert client.futures_liquidation_orders(autoCloseType="LIQUIDATION") == [forced]
    assert client.futures_liquidation_orders(autoCloseType="ADL") == []
    incomes: dict[str, Decimal] = {}
    for r in Income.objects.filter(user=trader.user):
        incomes[r.income_type] = incomes.get(r.income_type, D(0)) + r.amount
    assert incomes == {
        "TRANSFER": D("3100"),
        "COMMISSION": D("-30"),  # 12 + 18, the two fills' taker fees
        "REALIZED_PNL": D("-2900"),
        "LIQUIDATION_FEE": D("-170"),
    }
    assert wallet(trader) == 0 and position(trader, contract).size == 0
    assert client.futures_adl_quantile_estimate(symbol=SYMBOL) == []
    # ccxt's fetch_my_liquidations reads the same order
    [seen] = usdm(live, trader).fetch_my_liquidations("BTC/USDT:USDT")
    assert (seen["price"], seen["contracts"], seen["quoteValue"]) == (57100.0, 1.0, 57100.0)
    # and the native API and GraphQL list it too
    native = live_get(live, trader, "/api/v1/futures/liquidations", {"symbol": SYMBOL})
    assert [
        (n["id"], n["auto_close_type"], n["side"], n["quantity"], n["avg_price"]) for n in native
    ] == [(row.pk, "LIQUIDATION", "SELL", "1", "57100")]


def live_get(live: LiveExchange, trader: Trader, path: str, params: dict[str, str]) -> list[dict]:
    """A native GET signed with the trader's key."""
    answer = requests.get(
        f"{live.url}{path}?{signed(trader, params)}",
        headers={"X-MBX-APIKEY": trader.key},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_isolated_margin_end_to_end(live, at_60000):
    contract = at_60000
    trader, client = funded(live, "1000")
    # when: the contract is switched to isolated (no position, no orders)
    assert client.futures_change_margin_type(symbol=SYMBOL, marginType="ISOLATED") == {
        "code": 200,
        "msg": "success",
    }
    # then: the position row says so, and again is -4046
    assert position(trader, contract).margin_type == "ISOLATED"
    with pytest.raises(BinanceAPIException) as again:
        client.futures_change_margin_type(symbol=SYMBOL, marginType="ISOLATED")
    assert again.value.code == -4046
    # and there is no position to add margin to
    with pytest.raises(BinanceAPIException) as flat:
        client.futures_change_position_margin(symbol=SYMBOL, amount="10", type=1)
    assert flat.value.code == -4054

    # given: a 20x long of 0.1 BTC at 60,000: margin 300 set aside, fee 3 from cross
    _, sell = funded(live, "5000")
    limit(sell, "SELL", "0.1", "60000")
    assert limit(client, "BUY", "0.1", "60000")["status"] == "FILLED"
    wait_until(lambda: position(trader, contract).isolated_margin == 300, what="the margin")
    assert wallet(trader) == D("997")

    # when: 100 is added (python-binance), then 10,000 (more than the cross wallet's 697)
    assert client.futures_change_position_margin(symbol=SYMBOL, amount="100", type=1) == {
        "amount": 100.0,
        "code": 200,
        "msg": "Successfully modify position margin.",
        "type": 1,
    }
    assert position(trader, contract).isolated_margin == 400
    with pytest.raises(BinanceAPIException) as too_much:
        client.futures_change_position_margin(symbol=SYMBOL, amount="10000", type=1)
    assert too_much.value.code == -4050
    # taking back 150 would leave 250 below the initial margin 300: -4051
    with pytest.raises(BinanceAPIException) as below:
        client.futures_change_position_margin(symbol=SYMBOL, amount="150", type=2)
    assert below.value.code == -4051
    assert position(trader, contract).isolated_margin == 400
    # ccxt's reduce_margin takes 100 back
    ex = usdm(live, trader)
    ex.load_markets()
    reduced = ex.reduce_margin("BTC/USDT:USDT", 100)
    assert (reduced["type"], reduced["amount"], reduced["status"]) == ("reduce", 100.0, "ok")
    assert position(trader, contract).isolated_margin == 300 and wallet(trader) == D("997")
    [risk] = client.futures_position_information(symbol=SYMBOL)
    assert (risk["marginType"], risk["isolatedWallet"], risk["isolatedMargin"]) == (
        "isolated",
        "300",
        "300",
    )
    assert ex.fetch_positions(["BTC/USDT:USDT"])[0]["marginMode"] == "isolated"

    # then: the history lists the two accepted changes, the refusals recorded apart
    history = client.futures_position_margin_history(symbol=SYMBOL)
    assert [(h["type"], h["amount"], h["deltaType"], h["asset"]) for h in history] == [
        (1, "100", "USER_ADJUST", "USDT"),
        (2, "100", "USER_ADJUST", "USDT"),
    ]
    assert [h["type"] for h in client.futures_position_margin_history(symbol=SYMBOL, type=2)] == [2]
    assert sorted(
        IsolatedMarginChange.objects.filter(user=trader.user).values_list("result", flat=True)
    ) == [
        "INSUFFICIENT_MARGIN",
        "INSUFFICIENT_MARGIN",
        "OK",
        "OK",
    ]
    adjustments = ex.fetch_margin_adjustment_history("BTC/USDT:USDT")
    assert [(m["type"], m["amount"]) for m in adjustments] == [("add", 100.0), ("reduce", 100.0)]
    # and back to cross is refused while the position is open, and with an open order
    with pytest.raises(BinanceAPIException) as open_position:
        client.futures_change_margin_type(symbol=SYMBOL, marginType="CROSSED")
    assert open_position.value.code == -4048
    _, waiting = funded(live, "1000")
    limit(waiting, "BUY", "0.01", "59000")
    with pytest.raises(BinanceAPIException) as open_orders:
        waiting.futures_change_margin_type(symbol=SYMBOL, marginType="ISOLATED")
    assert open_orders.value.code == -4047
    assert position(trader, contract).margin_type == "ISOLATED"

    # when: the trader closes with a reduce-only market sell into a bid at 60,000
    _, buy = funded(live, "10000")
    limit(buy, "BUY", "0.1", "60000")
    client.futures_create_order(
        symbol=SYMBOL, side="SELL", type="MARKET", quantity="0.1", reduceOnly="true"
    )
    # then: the isolated margin is back in the wallet, less the taker fee of 3 (and the
    # package's later modules find no position that their marks would liquidate)
    wait_until(lambda: position(trader, contract).size == 0, what="the position closed")
    assert position(trader, contract).isolated_margin == 0
    assert wallet(trader) == D("994")


def test_the_processes_liquidate_an_isolated_long_at_the_shown_price(live, at_60000):
    contract = at_60000
    # given: a 20x isolated long of 0.1 BTC at 60,000 (margin 300, fee 3 from cross)
    trader, client = funded(live, "1000")
    client.futures_change_margin_type(symbol=SYMBOL, marginType="ISOLATED")
    _, sell = funded(live, "5000")
    limit(sell, "SELL", "0.1", "60000")
    assert limit(client, "BUY", "0.1", "60000")["status"] == "FILLED"
    wait_until(lambda: position(trader, contract).isolated_margin == 300, what="the margin")
    # then: 300 + 0.1 (P - 60,000) = 0.4 % x 0.1 P, P = 5,700 / 0.0996 = 57,228.91...,
    # shown on the tick below it (where the engine liquidates a long)
    [risk] = client.futures_position_information(symbol=SYMBOL)
    assert (risk["liquidationPrice"], risk["isolatedWallet"], risk["isolatedMargin"]) == (
        "57228.9",
        "300",
        "300",
    )
    # and: the cross side is the wallet 997 less the isolated wallet 300
    [usdt] = [b for b in client.futures_account_balance() if b["asset"] == "USDT"]
    assert [usdt[k] for k in ("balance", "crossWalletBalance", "availableBalance")] == [
        "997",
        "697",
        "697",
    ]
    assert usdt["maxWithdrawAmount"] == "697"

    # given: a bid at the bankruptcy price, 60,000 - 300 / 0.1
    _, bid = funded(live, "10000")
    limit(bid, "BUY", "0.1", "57000")
    # when: the mark stops one tick above the shown price
    set_mark(contract, D("57229.0"))
    # (an order appended after the mark is answered once clearing is past the mark)
    assert limit(bid, "BUY", "0.001", "56000")["status"] == "NEW"
    # then: the engine kept the position
    assert not ForcedOrder.objects.filter(user=trader.user).exists()
    assert position(trader, contract).size == D("0.1")

    # when: the mark reaches the shown price
    set_mark(contract, D("57228.9"))
    # then: the engine liquidated it into the bid; the cross wallet is untouched
    wait_until(
        lambda: ForcedOrder.objects.filter(user=trader.user).exists(), what="the liquidation"
    )
    wait_until(lambda: position(trader, contract).size == 0, what="the position closed")
    assert position(trader, contract).isolated_margin == 0
    assert wallet(trader) == D("697")
