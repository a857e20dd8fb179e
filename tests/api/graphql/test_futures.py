"""GraphQL futures: contracts, transfers, leverage, two users trade, positions, orders and
income to the last unit, cancels, and typed refusals that send nothing.

The margin group's real state machine answers in process and clearing writes its output
(``tests.api.futures_support``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.futures.models import FuturesOrder, FuturesTransfer
from matching_engine.protocol import input_stream
from tests.api.futures_support import Venue
from tests.api.graphql.conftest import error_codes
from tests.exchange.futures.support import btc_perpetual

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)

TRANSFER = """
mutation($amount: Decimal!, $direction: TransferDirection!) {
  transferFutures(asset: "USDT", amount: $amount, direction: $direction) {
    transfer { id status direction amount } errors { code field }
  }
}"""
PLACE = """
mutation($side: OrderSide!, $type: FuturesOrderType!, $quantity: Decimal, $price: Decimal,
         $tif: FuturesTimeInForce) {
  placeFuturesOrder(symbol: "BTCUSDT", side: $side, type: $type, quantity: $quantity,
                    price: $price, timeInForce: $tif) {
    order { id status accepted } errors { code field }
  }
}"""
POSITIONS = "{ futuresPositions { symbol size entryPrice leverage initialMargin unrealizedPnl } }"


@pytest.fixture
def venue(assets, redis_client) -> Venue:
    return Venue(btc_perpetual(assets))


@pytest.fixture
def trader(make_user, fund, assets, as_user, venue):
    """A user with 5,000 USDT moved to futures, and a caller."""

    def make():
        user = make_user()
        fund(user, assets["USDT"], "10000")
        caller = as_user(user)
        moved = caller(TRANSFER, {"amount": "5000", "direction": "IN"})["data"]
        assert moved["transferFutures"]["transfer"]["status"] == "PENDING"
        venue.step()
        return user, caller

    return make


@pytest.mark.django_db
def test_contracts_are_public_with_the_feeds_figures(venue, anonymous):
    venue.set_mark(D("60000"))
    answer = anonymous(
        "{ futuresContracts { symbol marginAsset tickSize markPrice fundingRate nextFundingTime"
        " brackets { maxLeverage notionalCap maintenanceAmount } } }"
    )
    assert answer["data"]["futuresContracts"] == [
        {
            "symbol": "BTCUSDT",
            "marginAsset": "USDT",
            "tickSize": "0.1",
            "markPrice": "60000",
            "fundingRate": "0.0001",
            "nextFundingTime": 1_800_000_000_000,
            "brackets": [
                {"maxLeverage": 125, "notionalCap": "50000", "maintenanceAmount": "0"},
                {"maxLeverage": 100, "notionalCap": "250000", "maintenanceAmount": "50"},
                {"maxLeverage": 20, "notionalCap": "1000000000", "maintenanceAmount": "5050"},
            ],
        }
    ]
    assert anonymous('{ futuresContract(symbol: "NOPE") { symbol } }')["data"] == {
        "futuresContract": None
    }
    assert error_codes(anonymous(POSITIONS)) == ["NOT_AUTHENTICATED"]


def test_two_users_trade_and_every_figure_is_exact(venue, trader):
    (_, maker), (_, taker) = trader(), trader()
    venue.set_mark(D("60000"))
    # when the taker sets 10x and the two trade 0.1 BTC at 60,000
    changed = taker(
        'mutation { setLeverage(symbol: "BTCUSDT", leverage: 10) { leverage errors { code } } }'
    )
    assert changed["data"]["setLeverage"] == {"leverage": 10, "errors": []}
    sell = maker(PLACE, {"side": "SELL", "type": "LIMIT", "quantity": "0.1", "price": "60000"})
    assert sell["data"]["placeFuturesOrder"]["order"]["accepted"] is False
    venue.step()
    buy = taker(PLACE, {"side": "BUY", "type": "MARKET", "quantity": "0.1"})
    assert buy["data"]["placeFuturesOrder"]["errors"] == []
    venue.step()
    # then
    orders = taker("{ futuresOrders { id status executedQty accepted } }")["data"]["futuresOrders"]
    assert orders == [
        {
            "id": buy["data"]["placeFuturesOrder"]["order"]["id"],
            "status": "FILLED",
            "executedQty": "0.1",
            "accepted": True,
        }
    ]
    assert taker(POSITIONS)["data"]["futuresPositions"] == [
        {
            "symbol": "BTCUSDT",
            "size": "0.1",
            "entryPrice": "60000",
            "leverage": 10,
            "initialMargin": "600",
            "unrealizedPnl": "0",
        }
    ]
    assert maker(POSITIONS)["data"]["futuresPositions"][0]["size"] == "-0.1"
    income = taker("{ futuresIncome { symbol incomeType amount } }")["data"]["futuresIncome"]
    assert income == [
        {"symbol": None, "incomeType": "TRANSFER", "amount": "5000"},
        {"symbol": "BTCUSDT", "incomeType": "COMMISSION", "amount": "-3"},
    ]
    fees = maker("{ futuresIncome(incomeType: COMMISSION) { amount } }")["data"]["futuresIncome"]
    assert fees == [{"amount": "-1.2"}]
    trades = taker(
        '{ futuresTrades(symbol: "BTCUSDT") { side isMaker price quantity commission } }'
    )
    assert trades["data"]["futuresTrades"] == [
        {"side": "BUY", "isMaker": False, "price": "60000", "quantity": "0.1", "commission": "3"}
    ]
    [usdt] = taker("{ futuresAccount { asset walletBalance available } }")["data"]["futuresAccount"]
    assert usdt == {"asset": "USDT", "walletBalance": "4997", "available": "4397"}


def test_positions_and_the_account_show_margin_type_isolated_margin_and_cross_wallet(venue, trader):
    (_, maker), (_, taker) = trader(), trader()
    venue.set_mark(D("60000"))
    # when the taker goes isolated at 10x and buys 0.1 BTC at 60,000 from a cross maker
    isolated = taker(
        'mutation { setMarginType(symbol: "BTCUSDT", marginType: ISOLATED) { errors { code } } }'
    )
    assert isolated["data"]["setMarginType"]["errors"] == []
    taker('mutation { setLeverage(symbol: "BTCUSDT", leverage: 10) { errors { code } } }')
    venue.step()
    maker(PLACE, {"side": "SELL", "type": "LIMIT", "quantity": "0.1", "price": "60000"})
    venue.step()
    taker(PLACE, {"side": "BUY", "type": "MARKET", "quantity": "0.1"})
    venue.step()
    # then the long holds its 600 initial margin apart: the cross wallet is 4,997 - 600
    shown = "{ futuresPositions { marginType isolatedMargin initialMargin } }"
    account = "{ futuresAccount { walletBalance crossWalletBalance } }"
    assert taker(shown)["data"]["futuresPositions"] == [
        {"marginType": "ISOLATED", "isolatedMargin": "600", "initialMargin": "600"}
    ]
    assert taker(account)["data"]["futuresAccount"] == [
        {"walletBalance": "4997", "crossWalletBalance": "4397"}
    ]
    # and the cross short holds nothing apart: its cross wallet is its wallet
    assert maker(shown)["data"]["futuresPositions"] == [
        {"marginType": "CROSSED", "isolatedMargin": "0", "initialMargin": "300"}
    ]
    assert maker(account)["data"]["futuresAccount"] == [
        {"walletBalance": "4998.8", "crossWalletBalance": "4998.8"}
    ]


def test_a_resting_order_is_canceled(venue, trader):
    _, caller = trader()
    venue.set_mark(D("60000"))
    placed = caller(
        PLACE,
        {"side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "59000", "tif": "GTX"},
    )["data"]["placeFuturesOrder"]["order"]
    venue.step()
    cancel = (
        "mutation($id: ID!) { cancelFuturesOrder(orderId: $id) { order { id } errors { code } } }"
    )
    assert caller(cancel, {"id": placed["id"]})["data"]["cancelFuturesOrder"]["errors"] == []
    venue.step()
    assert caller("{ futuresOrders { status } }")["data"]["futuresOrders"] == [
        {"status": "CANCELED"}
    ]
    again = caller(cancel, {"id": placed["id"]})["data"]["cancelFuturesOrder"]
    assert again == {"order": None, "errors": [{"code": "UNKNOWN_ORDER"}]}


@pytest.mark.django_db  # refusals send nothing: no commit needed
@pytest.mark.parametrize(
    ("query", "variables", "field", "expected"),
    [
        (
            PLACE,
            {"side": "BUY", "type": "LIMIT", "quantity": "1", "price": "60000.05"},
            "placeFuturesOrder",
            [{"code": "PRICE_TICK", "field": "price"}],
        ),
        (
            PLACE,
            {"side": "BUY", "type": "MARKET", "quantity": "0.0001"},
            "placeFuturesOrder",
            [{"code": "QUANTITY_STEP", "field": "quantity"}],
        ),
        (
            PLACE,
            {"side": "BUY", "type": "MARKET", "quantity": "1", "price": "1"},
            "placeFuturesOrder",
            [{"code": "INVALID_ORDER", "field": "price"}],
        ),
        (
            TRANSFER,
            {"amount": "10001", "direction": "IN"},
            "transferFutures",
            [{"code": "INSUFFICIENT_BALANCE", "field": None}],
        ),
        (
            TRANSFER,
            {"amount": "-1", "direction": "OUT"},
            "transferFutures",
            [{"code": "INVALID_AMOUNT", "field": "amount"}],
        ),
    ],
)
def test_refusals_are_typed_and_send_nothing(
    venue, make_user, fund, assets, as_user, redis_client, query, variables, field, expected
):
    user = make_user()
    fund(user, assets["USDT"], "10000")
    before = redis_client.xlen(input_stream("USDT"))
    answer = as_user(user)(query, variables)["data"][field]
    assert answer["errors"] == expected
    assert not FuturesOrder.objects.exists()
    assert not FuturesTransfer.objects.exists()
    assert redis_client.xlen(input_stream("USDT")) == before


@pytest.mark.django_db
def test_leverage_outside_the_brackets_and_a_read_key(venue, make_user, as_user, as_key):
    user = make_user()
    answer = as_user(user)(
        'mutation { setLeverage(symbol: "BTCUSDT", leverage: 126) { errors { code } } }'
    )
    assert answer["data"]["setLeverage"]["errors"] == [{"code": "INVALID_LEVERAGE"}]
    reader = as_key(user, ["read"])
    refused = reader(PLACE, {"side": "BUY", "type": "MARKET", "quantity": "1"})
    assert error_codes(refused) == ["PERMISSION_DENIED"]
    assert reader(POSITIONS)["data"] == {"futuresPositions": []}
