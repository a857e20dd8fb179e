"""Which ``runclearing`` process clears the futures margin groups: one, never two."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from exchange.markets.actions import do_create_market
from tests.exchange.futures.support import btc_perpetual
from tests.test_processes import ROOT, database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

SHARDS = "engine-0=BTCUSDT;engine-1=ETHUSDT"
STARTED = "INFO exchange.clearing clearing "


def started(args: list[str], log: Path) -> str:
    """What a runclearing process with ``args`` says it clears when it starts."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "ENGINE_SHARDS": SHARDS,
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "runclearing", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while STARTED not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()
    return log.read_text().split(STARTED, 1)[1].splitlines()[0]


def test_the_first_shard_clears_the_margin_groups_and_the_others_do_not(
    btcusdt, assets, redis_client, tmp_path
):
    do_create_market(
        base=assets["ETH"],
        quote=assets["USDT"],
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.0001"),
        min_qty=Decimal("0.0001"),
        max_qty=Decimal("1000"),
    )
    btc_perpetual(assets)
    assert started(["--shard", "engine-0"], tmp_path / "0.log") == "BTCUSDT, futures:USDT"
    assert started(["--shard", "engine-1"], tmp_path / "1.log") == "ETHUSDT"
    assert started(["--futures", "only"], tmp_path / "f.log") == "futures:USDT"
