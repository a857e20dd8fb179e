"""The per-process cache serves an entry only under the token it was read with."""

from __future__ import annotations

from exchange.core.process_cache import ProcessCache


def test_an_entry_is_served_under_its_own_token_only():
    # given an entry read under token "a" after a miss
    cache: ProcessCache[str] = ProcessCache()
    assert cache.get("BTCUSDT", "a") is None
    cache.put("BTCUSDT", "a", "market read under a")

    # then it is served under "a", not under a newer token, and not under "a" again
    # once "b" was seen (entries of an older token are dropped)
    assert cache.get("BTCUSDT", "a") == "market read under a"
    assert cache.get("BTCUSDT", "b") is None
    assert cache.get("BTCUSDT", "a") is None


def test_an_unknown_token_serves_nothing_and_empties_the_cache():
    # given an entry, then a request for which Redis could not say the token
    cache: ProcessCache[str] = ProcessCache()
    cache.get("BTCUSDT", "a")
    cache.put("BTCUSDT", "a", "market")
    assert cache.get("BTCUSDT", None) is None

    # then nothing is stored under no token, and the old entry is gone for good
    cache.put("ETHUSDT", None, "market")
    assert cache.get("ETHUSDT", None) is None
    assert cache.get("BTCUSDT", "a") is None


def test_an_entry_older_than_the_max_age_is_read_again():
    # given a cache whose entries may not outlive their reading
    cache: ProcessCache[str] = ProcessCache(max_age_seconds=-1)
    cache.get("BTCUSDT", "a")
    cache.put("BTCUSDT", "a", "market")

    # then even under the same token the entry is not served
    assert cache.get("BTCUSDT", "a") is None


def test_a_value_read_under_a_replaced_token_is_not_kept():
    # given a request that read token "a", then another that saw the newer "b"
    cache: ProcessCache[str] = ProcessCache()
    cache.get("BTCUSDT", "a")
    cache.get("BTCUSDT", "b")

    # when the first stores what it read from the database
    cache.put("BTCUSDT", "a", "market read before the change")

    # then it is served to nobody, not even under its own token
    assert cache.get("BTCUSDT", "b") is None
    assert cache.get("BTCUSDT", "a") is None
