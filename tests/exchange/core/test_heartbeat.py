"""Worker threads beat while their steps succeed, and only then."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from exchange.core import heartbeat
from exchange.core.workers import run_until_stopped


# run_until_stopped closes the database connection after a failed step: with a
# connection left open by an earlier test, that needs database access.
@pytest.mark.django_db
def test_a_worker_beats_after_good_steps_only(settings, tmp_path):
    # given heartbeats on, and two workers: one whose step succeeds, one whose step fails
    settings.HEARTBEAT_DIR = str(tmp_path / "hb")
    heartbeat._last.clear()
    stop = threading.Event()
    steps = {"good": 0, "bad": 0}

    def good() -> None:
        steps["good"] += 1
        if steps["good"] == 3:
            stop.set()

    def bad() -> None:
        steps["bad"] += 1
        if steps["bad"] == 2:
            stop.set()
        raise RuntimeError("db down")

    # when each runs until stopped
    run_until_stopped(name="clearing BTCUSDT", step=good, stop=stop)
    stop.clear()
    run_until_stopped(name="clearing ETH/BTC", step=bad, stop=stop, retry_delay_s=0)
    # then only the good one has a file, named safely (worker threads that earlier
    # tests left running may beat here too: only these two names are checked)
    files = {p.name for p in (tmp_path / "hb").iterdir()}
    assert "clearing-BTCUSDT" in files
    assert not {"clearing-ETH-BTC", "clearing-ETH/BTC"} & files


@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_its_connection_until_a_step_fails():
    # given a worker whose steps record the connection they query on; the third fails
    stop = threading.Event()
    seen: list[object] = []

    def step() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        seen.append(connection.connection)
        if len(seen) == 3:
            raise RuntimeError("lost the server")
        if len(seen) == 5:
            stop.set()

    # when it runs five steps
    run_until_stopped(name="clearing BTCUSDT", step=step, stop=stop, retry_delay_s=0)
    # then good steps share one connection, and the step after the failure has a new one
    assert seen[0] is seen[1] is seen[2]
    assert seen[3] is not seen[2]
    assert seen[3] is seen[4]


def test_heartbeats_are_off_without_a_directory(settings, tmp_path):
    settings.HEARTBEAT_DIR = ""
    heartbeat.beat("clearing BTCUSDT")
    assert list(tmp_path.iterdir()) == []
