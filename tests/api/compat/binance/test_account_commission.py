"""GET /api/v3/account/commission: the caller's fee rates, by the one fee-rate rule."""

from __future__ import annotations

from decimal import Decimal

from exchange.markets.models import FeeOverride, Market
from tests.api.compat.binance.test_bad_input import send, signed


def test_commission_shows_the_market_rates_then_the_users_override(live):
    # given a trader without overrides
    trader = live.trader()
    market = Market.objects.get(symbol="SOLUSDT")

    # when they ask for SOLUSDT's rates
    default = send(
        live, "GET", "account/commission", signed(trader, {"symbol": "SOLUSDT"}), trader.key
    )

    # then they are the market's
    assert default.status_code == 200
    assert default.json()["standardCommission"] == {
        "maker": f"{market.maker_fee.normalize():f}",
        "taker": f"{market.taker_fee.normalize():f}",
        "buyer": "0",
        "seller": "0",
    }

    # given an override for all markets and one for SOLUSDT (the market's own wins)
    FeeOverride.objects.create(
        user=trader.user, market=None, maker_fee=Decimal("0.0007"), taker_fee=Decimal("0.0009")
    )
    FeeOverride.objects.create(
        user=trader.user, market=market, maker_fee=Decimal("0"), taker_fee=Decimal("0.0003")
    )

    # when they ask again
    body = send(
        live, "GET", "account/commission", signed(trader, {"symbol": "SOLUSDT"}), trader.key
    ).json()

    # then the market's own override is shown
    assert body["symbol"] == "SOLUSDT"
    assert (body["standardCommission"]["maker"], body["standardCommission"]["taker"]) == (
        "0",
        "0.0003",
    )
