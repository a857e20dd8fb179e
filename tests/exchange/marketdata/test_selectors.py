"""Market-data reads check their ``limit`` the same way for every surface."""

from __future__ import annotations

import pytest

from exchange.core.errors import DomainError
from exchange.marketdata.selectors import (
    MAX_DEPTH,
    MAX_KLINES,
    MAX_RECENT_TRADES,
    kline_list,
    order_book,
    recent_trades,
)

READS = {
    "depth": (lambda m, n: order_book(m, limit=n), MAX_DEPTH),
    "trades": (lambda m, n: recent_trades(m, limit=n), MAX_RECENT_TRADES),
    "klines": (lambda m, n: list(kline_list(m, interval="1m", limit=n)), MAX_KLINES),
}


@pytest.mark.parametrize("read", READS)
@pytest.mark.parametrize("bad", ["zero", "negative", "over"])
def test_a_limit_out_of_range_is_invalid_limit(btcusdt, redis_client, read, bad):
    select, maximum = READS[read]
    limit = {"zero": 0, "negative": -5, "over": maximum + 1}[bad]
    with pytest.raises(DomainError) as excinfo:
        select(btcusdt, limit)
    assert (excinfo.value.code, excinfo.value.fields) == ("INVALID_LIMIT", {"limit": "invalid"})


@pytest.mark.parametrize("read", READS)
def test_the_limits_at_the_bounds_are_read(btcusdt, redis_client, read):
    select, maximum = READS[read]
    select(btcusdt, 1)
    select(btcusdt, maximum)


def test_maxima_are_what_the_docs_say():
    assert (MAX_DEPTH, MAX_RECENT_TRADES, MAX_KLINES) == (5000, 1000, 1000)
