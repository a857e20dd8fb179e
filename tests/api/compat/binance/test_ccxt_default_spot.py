"""ccxt's binance class with its DEFAULT options and only its hosts changed, on a fresh account.

``load_markets`` asks ``/sapi/v1/capital/config/getall``, ``/sapi/v1/margin/*``,
``/fapi/v1/exchangeInfo`` and ``/dapi/v1/exchangeInfo`` before ``/api/v3/exchangeInfo``;
``fetch_balance`` must show every listed asset (0 where never held) and the real rates.
"""

from __future__ import annotations

from decimal import Decimal

import ccxt
import pytest

from exchange.markets.models import FeeOverride, Market
from exchange.orders.models import Order
from exchange.wallets.models import Asset
from tests.api.compat.clients import ccxt_binance
from tests.api.compat.conftest import balance

SYMBOL = "SOL/USDT"


def test_fresh_account_loads_markets_sees_every_asset_and_trades(live):
    # given a fresh trader with USDT only and ccxt with its default options
    trader = live.trader(USDT="100")
    ex = ccxt_binance(live, trader)

    # when it loads markets, then spot markets (and the coins) are there
    markets = ex.load_markets()
    assert markets[SYMBOL]["spot"] is True and "SOL" in ex.currencies

    # when it fetches the balance, then every listed asset is there, 0 where never held
    unified = ex.fetch_balance()
    assert unified["BTC"] == {"free": 0.0, "used": 0.0, "total": 0.0}
    assert unified["USDT"]["free"] == 100
    listed = [b["asset"] for b in unified["info"]["balances"]]
    assert listed == list(Asset.objects.order_by("code").values_list("code", flat=True))
    held = ex.fetch_balance({"omitZeroBalances": "true"})["info"]["balances"]
    assert held == [{"asset": "USDT", "free": "100", "locked": "0"}]

    # when it places and cancels an order, then the funds are locked then released
    order = ex.create_order(SYMBOL, "limit", "buy", 0.1, 100)
    assert order["status"] == "open"
    assert balance(trader, "USDT") == (Decimal("90"), Decimal("10"))
    cancelled = ex.cancel_order(order["id"], SYMBOL)
    assert cancelled["status"] == "canceled"
    assert balance(trader, "USDT") == (Decimal("100"), Decimal(0))


def test_account_reports_the_highest_rate_the_user_pays(live):
    # given markets at maker 0.1 % / taker 0.2 % and a trader with a lower override on one
    trader = live.trader()
    ex = ccxt_binance(live, trader)
    FeeOverride.objects.create(
        user=trader.user,
        market=Market.objects.get(symbol="SOLUSDT"),
        maker_fee=Decimal("0"),
        taker_fee=Decimal("0.0005"),
    )

    # when it reads the account
    info = ex.fetch_balance()["info"]

    # then the commissions are the highest it pays, in basis points and as rates
    assert (info["makerCommission"], info["takerCommission"]) == (10, 20)
    assert info["commissionRates"] == {
        "maker": "0.001",
        "taker": "0.002",
        "buyer": "0",
        "seller": "0",
    }

    # given an override for every market, then that is the account's rate
    FeeOverride.objects.create(
        user=trader.user, market=None, maker_fee=Decimal("0.0001"), taker_fee=Decimal("0.0004")
    )
    info = ex.fetch_balance()["info"]
    assert (info["makerCommission"], info["takerCommission"]) == (1, 5)
    assert info["commissionRates"]["taker"] == "0.0005"


@pytest.mark.parametrize(
    ("amount", "price", "exception", "text"),
    [
        (0.1, 100.001, ccxt.InvalidOrder, "PRICE_FILTER"),
        (0.000001, 100, ccxt.InvalidOrder, "LOT_SIZE"),
        (0.01, 100, ccxt.BadRequest, "NOTIONAL"),  # ccxt maps the code -1013 to BadRequest
        (10, 100, ccxt.InsufficientFunds, "insufficient balance"),  # by -2010's message
    ],
)
def test_refusals_reach_the_documented_ccxt_classes(live, amount, price, exception, text):
    # given a trader with 100 USDT
    trader = live.trader(USDT="100")
    ex = ccxt_binance(live, trader)
    ex.load_markets()
    ex.markets[SYMBOL]["precision"] = {"amount": 1e-8, "price": 1e-8}  # let bad values through

    # when / then
    with pytest.raises(exception, match=text) as raised:
        ex.create_order(SYMBOL, "limit", "buy", amount, price)
    assert type(raised.value) is exception
    assert balance(trader, "USDT") == (Decimal("100"), Decimal(0))
    assert not Order.objects.filter(user=trader.user).exists()
