"""GraphQL ``futuresLiquidations``: the caller's liquidation and ADL closes, over the margin
group's real state machine in process (``tests.api.futures_support``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.futures.models import ForcedOrder
from tests.api.futures_support import Venue, deleverage
from tests.api.graphql.conftest import error_codes
from tests.exchange.futures.support import btc_perpetual

pytestmark = pytest.mark.django_db(transaction=True)

LIQUIDATIONS = """
query($type: AutoCloseType, $limit: Int) {
  futuresLiquidations(symbol: "BTCUSDT", autoCloseType: $type, limit: $limit) {
    id symbol autoCloseType side price avgPrice quantity quoteQuantity
  }
}"""


@pytest.fixture
def venue(assets, redis_client) -> Venue:
    return Venue(btc_perpetual(assets))


def test_each_side_of_an_adl_sees_its_close(venue, make_user, fund, as_user):
    # given: a long closed by ADL against two shorts at its bankruptcy price
    case = deleverage(venue, make_user, fund)
    venue.set_mark(Decimal(56_000))
    venue.step()
    # when: the long and short A ask
    long = as_user(case.long)(LIQUIDATIONS)["data"]["futuresLiquidations"]
    short = as_user(case.short_a)(LIQUIDATIONS, {"type": "ADL"})["data"]["futuresLiquidations"]
    # then
    assert long == [
        {
            "id": str(ForcedOrder.objects.get(user=case.long).pk),
            "symbol": "BTCUSDT",
            "autoCloseType": "LIQUIDATION",
            "side": "SELL",
            "price": "56930",
            "avgPrice": "56930",
            "quantity": "1",
            "quoteQuantity": "56930",
        }
    ]
    assert [(s["autoCloseType"], s["side"], s["quantity"]) for s in short] == [
        ("ADL", "BUY", "0.4")
    ]
    assert as_user(case.long)(LIQUIDATIONS, {"type": "ADL"})["data"]["futuresLiquidations"] == []
    # and a limit beyond 100 is refused
    assert error_codes(as_user(case.long)(LIQUIDATIONS, {"limit": 101})) == ["INVALID_ORDER"]
