"""Native REST futures: contracts and prices, transfers, leverage, orders two users trade,
positions and income to the last unit, cancels, and refusals that change nothing.

The margin group's real state machine answers in process (``tests.api.futures_support``)
and clearing writes its output, as in production.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.futures.models import FuturesOrder, FuturesTransfer, Income, Position
from matching_engine.protocol import input_stream
from tests.api.futures_support import Venue
from tests.api.rest.conftest import error
from tests.exchange.futures.support import btc_perpetual

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)
BASE = "/api/v1/futures"


@pytest.fixture
def venue(assets, redis_client) -> Venue:
    return Venue(btc_perpetual(assets))


@pytest.fixture
def trader(make_user, fund, assets, client_for):
    """A user with 10,000 USDT on spot and a token client."""

    def make():
        user = make_user()
        fund(user, assets["USDT"], "10000")
        return user, client_for(user)

    return make


def funded(venue: Venue, client, amount: str = "5000") -> None:
    answer = client.post(
        f"{BASE}/transfers", {"asset": "USDT", "amount": amount, "direction": "IN"}
    )
    assert answer.status_code == 202, answer.json()
    assert answer.json()["status"] == "PENDING"
    venue.step()


@pytest.mark.django_db
def test_contracts_and_their_prices_are_public(venue, api_client):
    # given the feed's figures
    venue.set_mark(D("60000"))
    # when listed
    [contract] = api_client.get(f"{BASE}/contracts").json()
    # then with the brackets' floors and maintenance amounts
    assert (contract["symbol"], contract["margin_asset"], contract["tick_size"]) == (
        "BTCUSDT",
        "USDT",
        "0.1",
    )
    assert [
        (b["notional_cap"], b["max_leverage"], b["maintenance_amount"])
        for b in contract["brackets"]
    ] == [
        ("50000", 125, "0"),
        ("250000", 100, "50"),
        ("1000000000", 20, "5050"),
    ]
    assert api_client.get(f"{BASE}/contracts/btcusdt").json()["symbol"] == "BTCUSDT"
    premium = api_client.get(f"{BASE}/contracts/BTCUSDT/premium").json()
    assert premium == {
        "symbol": "BTCUSDT",
        "mark_price": "60000",
        "index_price": "60000",
        "last_funding_rate": "0.0001",
        "interest_rate": "0.0001",
        "next_funding_time": 1_800_000_000_000,
        "time": 1_799_999_999_000,
    }
    assert api_client.get(f"{BASE}/contracts/BTCUSDT/funding-rates").json() == []
    assert error(api_client.get(f"{BASE}/contracts/NOPE/premium")) == (404, "UNKNOWN_CONTRACT")


def test_two_users_trade_and_every_figure_is_exact(venue, trader):
    (maker, maker_api), (taker, taker_api) = trader(), trader()
    for api in (maker_api, taker_api):
        funded(venue, api)
    venue.set_mark(D("60000"))
    # when the taker sets 10x and the two trade 0.1 BTC at 60,000
    assert taker_api.post(f"{BASE}/leverage", {"symbol": "BTCUSDT", "leverage": "10"}).json() == {
        "symbol": "BTCUSDT",
        "leverage": 10,
    }
    sell = maker_api.post(
        f"{BASE}/orders",
        {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "price": "60000", "quantity": "0.1"},
    )
    assert sell.status_code == 201
    assert (sell.json()["status"], sell.json()["accepted"]) == ("NEW", False)
    venue.step()
    buy = taker_api.post(
        f"{BASE}/orders", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.1"}
    )
    assert buy.status_code == 201
    venue.step()
    # then both orders are filled
    for api, placed in ((maker_api, sell), (taker_api, buy)):
        order = api.get(f"{BASE}/orders/{placed.json()['id']}").json()
        assert (order["status"], order["executed_qty"], order["accepted"]) == (
            "FILLED",
            "0.1",
            True,
        )
    # and the positions: 6,000 notional, the taker's at 10x, the maker's at the default 20x
    [long] = taker_api.get(f"{BASE}/positions").json()
    assert {
        k: long[k] for k in ("symbol", "size", "entry_price", "leverage", "initial_margin")
    } == {
        "symbol": "BTCUSDT",
        "size": "0.1",
        "entry_price": "60000",
        "leverage": 10,
        "initial_margin": "600",
    }
    [short] = maker_api.get(f"{BASE}/positions").json()
    assert (short["size"], short["leverage"], short["initial_margin"]) == ("-0.1", 20, "300")
    # and the fees: taker 0.05 % of 6,000 = 3, maker 0.02 % = 1.2
    income = taker_api.get(f"{BASE}/income").json()
    assert [(i["income_type"], i["amount"], i["symbol"]) for i in income] == [
        ("TRANSFER", "5000", None),
        ("COMMISSION", "-3", "BTCUSDT"),
    ]
    maker_fees = maker_api.get(f"{BASE}/income", {"income_type": "COMMISSION"}).json()
    assert [i["amount"] for i in maker_fees] == ["-1.2"]
    [fill] = taker_api.get(f"{BASE}/my-trades", {"symbol": "BTCUSDT"}).json()
    assert {k: fill[k] for k in ("order_id", "side", "is_maker", "price", "qty", "commission")} == {
        "order_id": buy.json()["id"],
        "side": "BUY",
        "is_maker": False,
        "price": "60000",
        "qty": "0.1",
        "commission": "3",
    }
    [maker_fill] = maker_api.get(f"{BASE}/my-trades", {"symbol": "BTCUSDT"}).json()
    assert (maker_fill["side"], maker_fill["is_maker"], maker_fill["liquidation"]) == (
        "SELL",
        True,
        False,
    )
    account = taker_api.get(f"{BASE}/account").json()
    [usdt] = account["assets"]
    assert (usdt["wallet_balance"], usdt["available"]) == ("4997", "4397")
    # and every income row is in the database
    assert sum(r.amount for r in Income.objects.filter(user=taker)) == D("4997")
    assert sum(r.amount for r in Income.objects.filter(user=maker)) == D("4998.8")


def test_positions_and_the_account_show_margin_type_isolated_margin_and_cross_wallet(venue, trader):
    (_, maker_api), (_, taker_api) = trader(), trader()
    for api in (maker_api, taker_api):
        funded(venue, api)
    venue.set_mark(D("60000"))
    # when the taker goes isolated at 10x and buys 0.1 BTC at 60,000 from a cross maker
    taker_api.post(f"{BASE}/margin-type", {"symbol": "BTCUSDT", "margin_type": "ISOLATED"})
    taker_api.post(f"{BASE}/leverage", {"symbol": "BTCUSDT", "leverage": "10"})
    venue.step()
    maker_api.post(
        f"{BASE}/orders",
        {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "price": "60000", "quantity": "0.1"},
    )
    venue.step()
    taker_api.post(
        f"{BASE}/orders", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.1"}
    )
    venue.step()
    # then the long holds its 600 initial margin apart: the cross wallet is 4,997 - 600
    shown = ("margin_type", "isolated_margin", "initial_margin")
    [long] = taker_api.get(f"{BASE}/positions").json()
    assert [long[k] for k in shown] == ["ISOLATED", "600", "600"]
    account = taker_api.get(f"{BASE}/account").json()
    assert [account["positions"][0][k] for k in shown] == ["ISOLATED", "600", "600"]
    [usdt] = account["assets"]
    assert (usdt["wallet_balance"], usdt["cross_wallet_balance"]) == ("4997", "4397")
    # and the cross short holds nothing apart: its cross wallet is its wallet
    [short] = maker_api.get(f"{BASE}/positions").json()
    assert [short[k] for k in shown] == ["CROSSED", "0", "300"]
    [maker_usdt] = maker_api.get(f"{BASE}/account").json()["assets"]
    assert (maker_usdt["wallet_balance"], maker_usdt["cross_wallet_balance"]) == (
        "4998.8",
        "4998.8",
    )


def test_an_order_the_margin_cannot_cover_is_rejected_by_the_engine(venue, trader):
    _, api = trader()
    funded(venue, api, "100")
    venue.set_mark(D("60000"))
    # when 0.1 BTC at 20x (300 of margin) is asked of 100
    placed = api.post(
        f"{BASE}/orders",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "price": "60000", "quantity": "0.1"},
    ).json()
    venue.step()
    # then the order shows the engine's refusal
    order = api.get(f"{BASE}/orders/{placed['id']}").json()
    assert (order["status"], order["reject_reason"]) == ("REJECTED", "INSUFFICIENT_MARGIN")
    assert api.get(f"{BASE}/orders", {"open": "true"}).json() == []


def test_a_resting_order_is_canceled(venue, trader):
    _, api = trader()
    funded(venue, api)
    venue.set_mark(D("60000"))
    placed = api.post(
        f"{BASE}/orders",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "price": "59000",
            "quantity": "0.01",
            "time_in_force": "GTX",
            "client_order_id": "ladder-1",
        },
    ).json()
    venue.step()
    assert [o["client_order_id"] for o in api.get(f"{BASE}/orders", {"open": "true"}).json()] == [
        "ladder-1"
    ]
    # when canceled
    answer = api.post(f"{BASE}/orders/{placed['id']}/cancel")
    assert answer.status_code == 202
    venue.step()
    # then it is closed, and a second cancel finds no open order
    assert api.get(f"{BASE}/orders/{placed['id']}").json()["status"] == "CANCELED"
    assert error(api.post(f"{BASE}/orders/{placed['id']}/cancel")) == (404, "UNKNOWN_ORDER")


def test_margin_type_and_transfer_out(venue, trader, assets):
    user, api = trader()
    funded(venue, api, "1000")
    # when switched to isolated and 400 is taken back to spot
    answer = api.post(f"{BASE}/margin-type", {"symbol": "BTCUSDT", "margin_type": "isolated"})
    assert (answer.status_code, answer.json()) == (
        202,
        {"symbol": "BTCUSDT", "margin_type": "ISOLATED"},
    )
    out = api.post(
        f"{BASE}/transfers",
        {"asset": "USDT", "amount": "400", "direction": "OUT", "client_request_id": "back-1"},
    ).json()
    venue.step()
    # then the position is isolated and the transfer done; more than is left is refused
    [position] = api.get(f"{BASE}/account").json()["assets"]
    assert position["wallet_balance"] == "600"
    transfers = api.get(f"{BASE}/transfers").json()
    assert [(t["id"], t["direction"], t["status"]) for t in transfers][0] == (
        out["id"],
        "OUT",
        "DONE",
    )
    too_much = api.post(f"{BASE}/transfers", {"asset": "USDT", "amount": "601", "direction": "OUT"})
    venue.step()
    assert FuturesTransfer.objects.get(pk=too_much.json()["id"]).status == "REFUSED"
    assert Position.objects.get(user=user).margin_type == "ISOLATED"


@pytest.mark.django_db  # refusals send nothing: no commit needed
@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        (
            "orders",
            {"symbol": "NOPE", "side": "BUY", "type": "MARKET", "quantity": "1"},
            (404, "UNKNOWN_CONTRACT"),
        ),
        (
            "orders",
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "price": "60000.05",
                "quantity": "1",
            },
            (400, "PRICE_TICK"),
        ),
        (
            "orders",
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.0005"},
            (400, "QUANTITY_STEP"),
        ),
        (
            "orders",
            {"symbol": "BTCUSDT", "side": "UP", "type": "MARKET", "quantity": "1"},
            (400, "INVALID_ORDER"),
        ),
        (
            "orders",
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": 1},
            (400, "INVALID_QUANTITY"),
        ),
        ("leverage", {"symbol": "BTCUSDT", "leverage": "126"}, (400, "INVALID_LEVERAGE")),
        ("leverage", {"symbol": "BTCUSDT", "leverage": "1.5"}, (400, "INVALID_LEVERAGE")),
        ("margin-type", {"symbol": "BTCUSDT", "margin_type": "HALF"}, (400, "INVALID_ORDER")),
        (
            "transfers",
            {"asset": "USDT", "amount": "10001", "direction": "IN"},
            (400, "INSUFFICIENT_BALANCE"),
        ),
        ("transfers", {"asset": "BTC", "amount": "1", "direction": "IN"}, (400, "INVALID_AMOUNT")),
        (
            "transfers",
            {"asset": "USDT", "amount": "1", "direction": "SIDEWAYS"},
            (400, "INVALID_ORDER"),
        ),
    ],
)
def test_refusals_change_nothing(venue, trader, redis_client, path, body, expected):
    _, api = trader()
    before = redis_client.xlen(input_stream("USDT"))
    # when refused
    assert error(api.post(f"{BASE}/{path}", body, format="json")) == expected
    # then no row and no command
    assert not FuturesOrder.objects.exists()
    assert not FuturesTransfer.objects.exists()
    assert redis_client.xlen(input_stream("USDT")) == before


@pytest.mark.django_db
def test_an_api_key_needs_trade_to_place(venue, make_user, signed_client):
    user = make_user()
    reader = signed_client(user, "read")
    answer = reader.post(
        f"{BASE}/orders", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"}
    )
    assert error(answer) == (403, "PERMISSION_DENIED")
    assert reader.get(f"{BASE}/positions").status_code == 200
