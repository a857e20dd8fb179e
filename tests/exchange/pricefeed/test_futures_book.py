"""The feed prices a contract from its real book: the margin group's output, as the engine writes it."""

from __future__ import annotations

from decimal import Decimal

import msgpack
import pytest

from exchange.core.redis import get_redis
from exchange.pricefeed.formulas import impact_notional, impact_price, premium_index
from exchange.pricefeed.futures_book import GroupBooks
from exchange.pricefeed.models import PremiumSample, PriceBar, PriceKind
from exchange.pricefeed.runner import FeedSettings, PriceFeed
from exchange.pricefeed.sources import HttpJsonSource
from matching_client import MatchingClient, input_stream, output_stream
from matching_engine.futures import protocol as fp
from matching_engine.futures.engine import MarginGroup
from tests.exchange.pricefeed.conftest import example_contract
from tests.matching_engine.futures.support import px, usdt
from tests.matching_engine.futures.workload import setup_commands

pytestmark = pytest.mark.django_db
T0 = 3_000_000_000_000
BTC = 1


def _run_engine_commands(commands: list[bytes]) -> None:
    """Apply commands to the real state machine and write its outputs as the engine does."""
    group, r = MarginGroup("USDT"), get_redis()
    for n, command in enumerate(commands, start=1):
        r.xadd(output_stream("USDT"), {b"d": group.apply(command)}, id=f"1-{n}")


def _book_commands() -> list[bytes]:
    """A trade at 60,060; bids 0.2 @ 60,050 and 0.5 @ 60,040; asks 0.1 @ 60,070 and 1 @ 60,080."""
    deposits = [
        fp.encode_deposit(request_id=u, user_id=u, amount=usdt(1_000_000)) for u in (1, 2, 3, 4)
    ]
    orders = [
        (3, 1, 60_060, 1),
        (4, 0, 60_060, 1),
        (1, 0, 60_050, 200),
        (1, 0, 60_040, 500),
        (2, 1, 60_070, 100),
        (2, 1, 60_080, 1000),
    ]
    return [
        *setup_commands(),
        *deposits,
        *(
            fp.encode_place(
                order_id=i, user_id=u, contract=BTC, side=side, price=px(price), quantity=lots
            )
            for i, (u, side, price, lots) in enumerate(orders, start=1)
        ),
    ]


def test_group_books_follow_levels_and_trades(redis_client):
    _run_engine_commands(_book_commands())
    books = GroupBooks("USDT")
    assert books.catch_up() == len(_book_commands())
    book = books.book(BTC)
    assert list(book.bid_levels()) == [(px(60_050), 200), (px(60_040), 500)]
    assert list(book.ask_levels()) == [(px(60_070), 100), (px(60_080), 1000)]
    assert book.last_price == px(60_060)
    assert books.catch_up() == 0


def test_mark_and_premium_from_the_contracts_own_book(redis_client, price_server):
    # given the book above and the index at 60,000
    _run_engine_commands(_book_commands())
    source = HttpJsonSource("venue-a", price_server.url, weight=Decimal(1))
    feed = PriceFeed(
        load_contracts=lambda: [example_contract()],
        sources_for=lambda _: [source],
        client=MatchingClient(get_redis()),
        settings=FeedSettings(premium_sample_ms=1_000, funding_interval_ms=3_000),
    )
    # when the feed steps
    feed.step(T0 + 500)
    # then the mark is median(Price 1 = 60,000 x (1 + 0.01 % x 2.5 / 3) = 60,005,
    # Price 2 = 60,000 + (60,060 - 60,000) = 60,060, last 60,060) = 60,060
    ((_, fields),) = get_redis().xrange(input_stream("USDT"))
    assert msgpack.unpackb(fields[b"d"]) == [1, fp.FuturesCommand.MARK_PRICE, BTC, px(60_060)]
    # and the premium is the docs' 0.00074673 from the impact prices of 25,000 USDT
    notional = impact_notional(125)
    bids = [(Decimal(60_050), Decimal("0.2")), (Decimal(60_040), Decimal("0.5"))]
    asks = [(Decimal(60_070), Decimal("0.1")), (Decimal(60_080), Decimal(1))]
    premium = premium_index(
        Decimal(60_000), impact_price(bids, notional), impact_price(asks, notional)
    )
    stored = PremiumSample.objects.get(symbol="BTCUSDT").premium
    assert stored == premium.quantize(Decimal("1e-18"))
    assert stored.quantize(Decimal("1e-8")) == Decimal("0.00074673")
    bar = PriceBar.objects.get(symbol="BTCUSDT", kind=PriceKind.PREMIUM)
    assert bar.close == stored
