"""Native REST liquidation history and isolated margin, and the ADL queue, over the margin
group's real state machine in process (``tests.api.futures_support``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.futures.adl import adl_quantiles
from exchange.futures.marks import mark_of
from exchange.futures.models import ForcedOrder, Income, IsolatedMarginChange, Position
from matching_engine.protocol import input_stream
from tests.api.futures_support import Venue, deleverage
from tests.api.rest.conftest import error
from tests.exchange.futures.support import btc_perpetual

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)
BASE = "/api/v1/futures"


@pytest.fixture
def venue(assets, redis_client) -> Venue:
    return Venue(btc_perpetual(assets))


def quantile(user, contract) -> int:  # noqa: ANN001
    [q] = adl_quantiles(user=user, mark_of=mark_of, contract=contract)
    return q.quantile


def test_a_liquidation_closed_by_adl_is_listed_for_all_three(venue, make_user, fund, client_for):
    # given: a 20x long against two shorts, the mark at 58,000
    case = deleverage(venue, make_user, fund)
    contract = venue.contract
    # then: A ranks first in the ADL queue (B is older and would win a tie), the long alone
    assert (quantile(case.short_a, contract), quantile(case.short_b, contract)) == (4, 2)
    assert quantile(case.long, contract) == 4

    # when: the mark gaps to 56,000 with no bid in the book
    venue.set_mark(D(56_000))
    venue.step()

    # then: the long's LIQUIDATION order closed 1 BTC at its bankruptcy price 56,930
    long_api = client_for(case.long)
    [liquidation] = long_api.get(f"{BASE}/liquidations").json()
    row = ForcedOrder.objects.get(user=case.long)
    assert liquidation == {
        "id": row.pk,
        "symbol": "BTCUSDT",
        "auto_close_type": "LIQUIDATION",
        "side": "SELL",
        "price": "56930",
        "avg_price": "56930",
        "quantity": "1",
        "quote_quantity": "56930",
        "time": liquidation["time"],
    }
    assert row.engine_order_id is None  # nothing traded: ADL closed it all
    # and each short's ADL order, A's first (the engine deleveraged A first)
    a = client_for(case.short_a).get(f"{BASE}/liquidations", {"auto_close_type": "adl"}).json()
    b = client_for(case.short_b).get(f"{BASE}/liquidations", {"symbol": "BTCUSDT"}).json()
    assert [(x["auto_close_type"], x["side"], x["quantity"], x["quote_quantity"]) for x in a] == [
        ("ADL", "BUY", "0.4", "22772")
    ]
    assert [(x["auto_close_type"], x["side"], x["quantity"], x["price"]) for x in b] == [
        ("ADL", "BUY", "0.6", "56930")
    ]
    assert a[0]["id"] < b[0]["id"]
    assert long_api.get(f"{BASE}/liquidations", {"auto_close_type": "ADL"}).json() == []
    # and the money: the long ends at 0, each short books (60,000 - 56,930) x its size
    pnl = {
        u: sum((r.amount for r in Income.objects.filter(user=u, income_type="REALIZED_PNL")), D(0))
        for u in (case.long, case.short_a, case.short_b)
    }
    assert pnl == {case.long: D(-3070), case.short_a: D(1228), case.short_b: D(1842)}


def test_isolated_margin_is_added_and_refused_with_nothing_changed(
    venue, make_user, fund, client_for, redis_client
):
    # given: A is short 0.4 BTC, cross-margined
    case = deleverage(venue, make_user, fund)
    api = client_for(case.short_a)
    sent = redis_client.xlen(input_stream("USDT"))
    # when: margin is added to a cross position, the refusal sends nothing
    body = {"symbol": "BTCUSDT", "amount": "100", "direction": "ADD"}
    assert error(api.post(f"{BASE}/isolated-margin", body)) == (409, "NOT_ISOLATED")
    assert error(
        api.post(f"{BASE}/margin-type", {"symbol": "BTCUSDT", "margin_type": "ISOLATED"})
    ) == (
        409,
        "MARGIN_TYPE_HAS_POSITION",
    )
    assert error(
        api.post(f"{BASE}/margin-type", {"symbol": "BTCUSDT", "margin_type": "CROSSED"})
    ) == (
        409,
        "MARGIN_TYPE_UNCHANGED",
    )
    assert redis_client.xlen(input_stream("USDT")) == sent
    assert not IsolatedMarginChange.objects.exists()

    # given: a new user isolated before trading, long 0.1 BTC at 58,000 at 20x (margin 290)
    user = make_user()
    fund(user, venue.contract.margin_asset, "1000")
    iso = client_for(user)
    iso.post(f"{BASE}/transfers", {"asset": "USDT", "amount": "1000", "direction": "IN"})
    answer = iso.post(f"{BASE}/margin-type", {"symbol": "BTCUSDT", "margin_type": "ISOLATED"})
    assert answer.status_code == 202
    venue.step()
    api_b = client_for(case.short_b)
    api_b.post(
        f"{BASE}/orders",
        {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "quantity": "0.1", "price": "58000"},
    )
    venue.step()
    placed = iso.post(
        f"{BASE}/orders",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.1", "price": "58000"},
    )
    assert placed.status_code == 201
    venue.step()
    assert Position.objects.get(user=user).isolated_margin == 290
    # when: 100 is added, then 5,000 (beyond the cross wallet)
    added = iso.post(
        f"{BASE}/isolated-margin", {"symbol": "BTCUSDT", "amount": "100", "direction": "ADD"}
    )
    assert added.status_code == 202 and added.json()["result"] == ""
    pending = iso.post(
        f"{BASE}/isolated-margin", {"symbol": "BTCUSDT", "amount": "1", "direction": "ADD"}
    )
    assert error(pending) == (409, "MARGIN_CHANGE_PENDING")
    venue.step()
    refused = iso.post(
        f"{BASE}/isolated-margin", {"symbol": "BTCUSDT", "amount": "5000", "direction": "ADD"}
    )
    venue.step()
    # then: the first is taken, the second refused by the engine, the margin 390
    results = dict(IsolatedMarginChange.objects.filter(user=user).values_list("pk", "result"))
    assert results == {added.json()["id"]: "OK", refused.json()["id"]: "INSUFFICIENT_MARGIN"}
    assert Position.objects.get(user=user).isolated_margin == 390
