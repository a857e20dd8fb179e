"""until_reachable: the back-off of a process's own database calls while PostgreSQL restarts."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, OperationalError

from exchange.core.workers import until_reachable


def test_a_call_that_cannot_reach_the_database_is_retried_until_it_gets_through():
    # given a call that finds the database down twice
    outcomes: list[Exception | None] = [OperationalError("starting up"), OperationalError("x")]
    calls = []

    def call() -> None:
        calls.append(1)
        if outcomes:
            raise outcomes.pop(0)

    # when it is called until reachable
    reached = until_reachable(name="t", call=call, stop=threading.Event(), first_delay_s=0.01)

    # then it got through on its third call
    assert (reached, len(calls)) == (True, 3)


def test_a_stop_ends_the_retries():
    stop = threading.Event()

    def call() -> None:
        stop.set()  # the process is asked to stop while the database is down
        raise OperationalError("down")

    assert until_reachable(name="t", call=call, stop=stop, first_delay_s=0.01) is False


def test_an_error_that_is_not_a_restart_is_raised():
    def call() -> None:
        raise IntegrityError("a bug, not an outage")

    with pytest.raises(IntegrityError):
        until_reachable(name="t", call=call, stop=threading.Event())
