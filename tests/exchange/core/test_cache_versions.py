"""Version tokens: read once per request, replaced by every change, never reused."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from exchange.core import cache_versions
from exchange.core.cache_versions import MARKETS, CacheVersionsMiddleware, bump, current

TOKEN_KEY = "{cachever}:" + MARKETS


def in_a_request(view) -> None:  # noqa: ANN001
    """Run ``view`` as the middleware runs a request's view."""
    CacheVersionsMiddleware(lambda request: view() or HttpResponse())(HttpRequest())


def test_a_request_reads_the_tokens_once(redis_client):
    seen: list[str | None] = []

    def view() -> None:
        seen.append(current(MARKETS))
        redis_client.set(TOKEN_KEY, "bumped-by-another-process")
        seen.append(current(MARKETS))

    # when another process bumps the token while a request runs
    in_a_request(view)

    # then the request keeps the token it read first; the next request reads the new one
    assert seen[0] is not None and seen[1] == seen[0]
    in_a_request(lambda: seen.append(current(MARKETS)))
    assert seen[2] == "bumped-by-another-process"


def test_outside_a_request_every_call_reads_the_tokens(redis_client):
    # given a token read by a WebSocket message, a task or a command
    first = current(MARKETS)

    # when another process bumps it
    redis_client.set(TOKEN_KEY, "bumped-by-another-process")

    # then the next call sees it
    assert first is not None
    assert current(MARKETS) == "bumped-by-another-process"


def test_a_lost_token_is_replaced_by_one_no_entry_carries(redis_client):
    # given a token, then Redis losing its data
    before = current(MARKETS)
    redis_client.flushdb()

    # then the next read makes a new token and stores it for every process
    after = current(MARKETS)
    assert before is not None and after is not None and after != before
    assert redis_client.get(TOKEN_KEY) == after.encode()


@pytest.mark.django_db
def test_a_bump_inside_a_request_is_seen_by_that_request(redis_client):
    seen: list[str | None] = []

    def view() -> None:
        seen.append(current(MARKETS))
        bump(MARKETS)
        seen.append(current(MARKETS))

    in_a_request(view)

    assert seen[0] != seen[1]


@pytest.mark.django_db(transaction=True)
def test_a_bump_in_a_transaction_bumps_again_on_commit(redis_client):
    # given a change that bumps inside its transaction
    with transaction.atomic():
        bump(MARKETS)
        # another process reads the rows as they were, under the first bump's token
        read_before_the_commit = current(MARKETS)

    # then once committed the token has moved on: what it read is not served
    assert read_before_the_commit is not None
    assert current(MARKETS) != read_before_the_commit


def test_remember_keeps_the_tokens_a_caller_read_in_its_own_round_trip(redis_client):
    redis_client.set(TOKEN_KEY, "read-with-the-limiter")
    seen: list[object] = []

    def view() -> None:
        seen.append(cache_versions.wanted())
        cache_versions.remember(redis_client.mget(cache_versions.KEYS))
        seen.extend([cache_versions.wanted(), current(MARKETS)])

    in_a_request(view)

    assert seen == [True, False, "read-with-the-limiter"]
    assert cache_versions.wanted() is False  # outside a request nothing is folded
