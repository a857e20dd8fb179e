"""Index sources: a local HTTP endpoint, and the platform's own spot book through the real pipeline."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from exchange.core.redis import get_redis
from exchange.orders.actions import place_order
from exchange.orders.requests import OrderRequest
from exchange.pricefeed.sources import HttpJsonSource, SpotBookSource, is_fresh
from matching_client import output_stream, stats_key
from tests.exchange.marketdata.test_feed import feed_until_caught_up
from tests.pipeline import drain, running_engine

MAX_AGE_MS = 5_000


def test_http_source_reads_the_local_endpoint(price_server):
    # given a venue answering Binance's ticker/price shape
    source = HttpJsonSource("venue-a", price_server.url, weight=Decimal(2))
    # when the feed asks it
    quote = source.quote(1_000)
    # then the quote carries the price, the weight and the time of the answer
    assert quote is not None
    assert (quote.source, quote.price, quote.weight, quote.time_ms) == (
        "venue-a",
        Decimal(60_000),
        Decimal(2),
        1_000,
    )
    # when the price moves
    price_server.body = {"price": "60123.45", "time": 1_500}
    # then the next quote has it, at the venue's own time
    quote = source.quote(2_000)
    assert quote is not None and (quote.price, quote.time_ms) == (Decimal("60123.45"), 1_500)


def test_a_failing_endpoint_keeps_the_last_quote_until_it_ages_out(price_server):
    source = HttpJsonSource("venue-a", price_server.url, weight=Decimal(1))
    first = source.quote(1_000)
    assert first is not None
    # when the endpoint answers garbage, then an error, then nothing at all
    price_server.body = {"msg": "maintenance"}
    assert source.quote(2_000) == first
    price_server.status = 500
    assert source.quote(3_000) == first
    price_server.stop()
    last = source.quote(4_000)
    # then the last good quote stands, with its own time: fresh for MAX_AGE_MS, then not
    assert last == first
    assert is_fresh(last, 1_000 + MAX_AGE_MS, MAX_AGE_MS)
    assert not is_fresh(last, 1_000 + MAX_AGE_MS + 1, MAX_AGE_MS)


@pytest.mark.parametrize("price", ["0", "-1", "NaN", "Infinity", None, "abc"])
def test_an_unusable_price_is_not_a_quote(price_server, price):
    price_server.body = {"price": price}
    assert HttpJsonSource("venue-a", price_server.url, weight=Decimal(1)).quote(1_000) is None


def test_only_http_urls_are_sources():
    with pytest.raises(ValueError, match="only http"):
        HttpJsonSource("local-file", "file:///etc/passwd", weight=Decimal(1))


def _limit(user, side: str, price: str, quantity: str) -> None:
    place_order(
        user=user,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side=side, type="LIMIT", price=price, quantity=quantity
        ),
    )


@pytest.mark.django_db(transaction=True)
def test_spot_source_is_the_median_of_bid_ask_and_last_while_the_pipeline_is_live(
    redis_client, make_user, assets, fund, btcusdt
):
    seller, buyer = make_user(), make_user()
    fund(seller, assets["BTC"], "10")
    fund(buyer, assets["USDT"], "100000")
    source = SpotBookSource("BTCUSDT", weight=Decimal(1), max_age_ms=MAX_AGE_MS)
    with running_engine(["BTCUSDT"]):
        # given a trade at 1005, then a bid at 990 and an ask at 1010
        _limit(seller, "SELL", "1005", "0.5")
        _limit(buyer, "BUY", "1005", "0.5")
        _limit(seller, "SELL", "1010", "1")
        _limit(buyer, "BUY", "990", "1")
        drain("BTCUSDT")
        feed_until_caught_up(btcusdt)
        reported = int(get_redis().hget(stats_key("BTCUSDT"), "updated_ms"))
        # when the feed asks the spot source
        quote = source.quote(reported)
        # then the price is median(990, 1010, 1005), not the mid
        assert quote is not None and quote.price == Decimal(1005)
        # when market data falls behind the engine by more than the maximum age
        time.sleep(0.1)
        _limit(buyer, "BUY", "991", "1")
        drain("BTCUSDT")
        behind = SpotBookSource("BTCUSDT", weight=Decimal(1), max_age_ms=60)
        last_out = get_redis().xrevrange(output_stream("BTCUSDT"), count=1)[0][0]
        assert last_out
        # then the book it published is not vouched for
        now = int(get_redis().hget(stats_key("BTCUSDT"), "updated_ms"))
        assert behind.quote(now) is None
        feed_until_caught_up(btcusdt)
        assert behind.quote(int(get_redis().hget(stats_key("BTCUSDT"), "updated_ms"))) is not None
    # when the engine stops reporting for longer than the maximum age
    reported = int(get_redis().hget(stats_key("BTCUSDT"), "updated_ms"))
    # then the frozen book is no source
    assert source.quote(reported + MAX_AGE_MS) is not None
    assert source.quote(reported + MAX_AGE_MS + 1) is None
