"""The real price feed process against the real futures engine: MARK_PRICE, FUNDING, staleness."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgpack
import pytest
from django.conf import settings

from exchange.core.price_status import price_status
from exchange.core.redis import get_redis
from exchange.futures.actions import BracketSpec, do_create_contract
from exchange.pricefeed.models import FundingRate
from matching_client import input_stream, output_stream
from matching_engine.futures import protocol as fp
from tests.test_processes import database_url

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]
GROUP = "USDT"
BTC = 10**8  # atoms of USDT (precision 8) per USDT


@contextmanager
def _process(args: list[str], log: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": database_url(),
                "REDIS_URL": settings.REDIS_URL,
                **env,
            },
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _outputs() -> list[tuple[str, list[Any]]]:
    return [
        (i.decode(), msgpack.unpackb(f[b"d"])) for i, f in get_redis().xrange(output_stream(GROUP))
    ]


def _wait(what: str, found: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := found()):
        assert time.monotonic() < deadline, (
            f"timed out waiting for {what}: {[o for o in _outputs() if o[1][1] not in (24, 25)]}"
        )
        time.sleep(0.1)
    return result


def _marks() -> list[list[Any]]:
    return [o for _, o in _outputs() if o[1] == fp.FuturesCommand.MARK_PRICE]


def test_the_feed_marks_and_funds_the_engine_and_stops_on_a_stale_index(
    redis_client, assets, price_server, tmp_path
):
    # given BTCUSDT (tick 0.1, lot 0.001) announced to the USDT margin group
    contract = do_create_contract(
        base=assets["BTC"],
        quote=assets["USDT"],
        tick_size=Decimal("0.1"),
        step_size=Decimal("0.001"),
        brackets=[
            BracketSpec(Decimal(50_000), 125, Decimal("0.004")),
            BracketSpec(Decimal(250_000), 100, Decimal("0.005")),
        ],
    )
    sources = {"BTCUSDT": [{"name": "local", "url": price_server.url, "weight": "1"}]}
    feed_log = tmp_path / "pricefeed.log"
    with (
        _process(["runfuturesengine", "--margin-groups", GROUP], tmp_path / "engine.log"),
        _process(
            [
                "runpricefeed",
                "--funding-interval-seconds",
                "3",
                "--premium-sample-seconds",
                "1",
                "--max-index-age-seconds",
                "2",
            ],
            feed_log,
            PRICEFEED_SOURCES=json.dumps(sources),
        ),
    ):
        # when the feed runs with the index at 60,000: the engine applies its marks
        first = _wait("a MARK_PRICE output", _marks)[0]
        assert first[1:4] == [fp.FuturesCommand.MARK_PRICE, fp.FuturesResult.OK, contract.engine_id]
        assert price_status("BTCUSDT").live
        # and two traders open 1 BTC at 60,000 against each other
        r = get_redis()
        for command in (
            fp.encode_deposit(request_id=1, user_id=1, amount=10_000 * BTC),
            fp.encode_deposit(request_id=2, user_id=2, amount=10_000 * BTC),
            fp.encode_place(
                order_id=1,
                user_id=2,
                contract=contract.engine_id,
                side=1,
                price=600_000,
                quantity=1000,
            ),
            fp.encode_place(
                order_id=2,
                user_id=1,
                contract=contract.engine_id,
                side=0,
                price=600_000,
                quantity=1000,
            ),
        ):
            traded_id = r.xadd(input_stream(GROUP), {b"d": command}).decode()

        # then a later FUNDING at the interest rate (no premium: the book is empty)
        # moves 60,000 x 0.01 % = 6 USDT from the long to the short
        def funding_with_payments() -> tuple[str, list[Any]] | None:
            return next(
                (
                    (i, o)
                    for i, o in _outputs()
                    if o[1] == fp.FuturesCommand.FUNDING and i > traded_id and o[5]
                ),
                None,
            )

        entry_id, funding = _wait("a FUNDING with payments", funding_with_payments)
        assert funding[2] == fp.FuturesResult.OK
        assert sorted(funding[5]) == [
            [fp.FuturesEvent.FUNDING, contract.engine_id, 10_000, 600_000, 1, -6 * BTC],
            [fp.FuturesEvent.FUNDING, contract.engine_id, 10_000, 600_000, 2, 6 * BTC],
        ]
        row = FundingRate.objects.get(entry_id=entry_id)
        assert (row.symbol, row.rate, row.mark_price) == ("BTCUSDT", Decimal("0.0001"), 60_000)

        # when the only index source goes away
        price_server.stop()
        _wait("the contract to go stale", lambda: not price_status("BTCUSDT").live, timeout=20)
        marks_when_stale = len(_marks())
        time.sleep(3)
        # then no MARK_PRICE (nor FUNDING) reaches the engine any more, and the log says so
        assert len(_marks()) == marks_when_stale
        assert price_status("BTCUSDT").reason == "no fresh index price source"
    assert (
        "BTCUSDT: no fresh index price source; MARK_PRICE and FUNDING withheld, "
        "new positions halted" in feed_log.read_text()
    )
