"""The live exchange of ``tests/api/compat`` plus a USDⓈ-M perpetual and its engine.

BTCUSDT is listed as a contract beside the spot market of the same symbol (the two
never meet: different tables, streams and keys). Its numbers are docs/futures.md's:
tick 0.1, lot 0.001, brackets 50,000 / 125x / 0.4 %, 250,000 / 100x / 0.5 %,
10^9 / 20x / 2.5 %; maker 0.02 %, taker 0.05 %. A real ``runfuturesengine`` process
runs margin group USDT; ``runclearing`` (started by ``live``) clears it. The mark
price is set as the price feed sets it: a MARK_PRICE command to the engine and the
latest figures in Redis.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.conf import settings

from exchange.core.redis import get_redis
from exchange.futures.actions import BracketSpec, do_create_contract
from exchange.futures.engine_state import append
from exchange.futures.marks import mark_key
from exchange.futures.models import (
    FUTURES_OPEN_STATUSES,
    Contract,
    FuturesOrder,
    FuturesTransfer,
    Position,
    TransferStatus,
)
from exchange.futures.services import cancel_futures_order
from exchange.futures.units import to_ticks
from matching_engine.futures.protocol import encode_mark_price
from matching_engine.protocol import output_stream
from tests.api.compat.conftest import ROOT, LiveExchange, wait_until
from tests.test_processes import database_url

SYMBOL = "BTCUSDT"
BRACKETS = [
    BracketSpec(Decimal(50_000), 125, Decimal("0.004")),
    BracketSpec(Decimal(250_000), 100, Decimal("0.005")),
    BracketSpec(Decimal(10**9), 20, Decimal("0.025")),
]


def set_mark(contract: Contract, price: Decimal) -> str:
    """What the price feed does each second: tell the engine, then publish the figures.

    Returns the MARK_PRICE's input entry ID, which is also the ID of the engine's answer."""
    entry_id = append(
        contract.margin_asset.code,
        encode_mark_price(contract=contract.engine_id, price=to_ticks(contract, price)),
    )
    figures = {
        "symbol": contract.symbol,
        "mark_price": str(price),
        "index_price": str(price),
        "estimated_settle_price": str(price),
        "funding_rate": "0.00010000",
        "interest_rate": "0.00010000",
        "next_funding_time": 0,
        "time": 0,
    }
    get_redis().set(mark_key(contract.symbol), json.dumps(figures))
    return entry_id


def answered(group: str, entry_id: str) -> bool:
    """Whether the margin group's engine has written its answer to input entry ``entry_id``."""
    return bool(get_redis().xrange(output_stream(group), entry_id, entry_id))


@pytest.fixture(scope="module")
def contract(live: LiveExchange, django_db_blocker) -> Iterator[Contract]:  # noqa: ANN001
    with django_db_blocker.unblock():
        listed = Contract.objects.filter(symbol=SYMBOL).first() or do_create_contract(
            base=live.assets["BTC"],
            quote=live.assets["USDT"],
            tick_size=Decimal("0.1"),
            step_size=Decimal("0.001"),
            brackets=BRACKETS,
            min_notional=Decimal(5),
            maker_fee=Decimal("0.0002"),
            taker_fee=Decimal("0.0005"),
        )
        env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL}
        engine = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runfuturesengine",
                "--margin-groups",
                "USDT",
                "--",
                "--block-ms",
                "5",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        try:
            # A cold engine start on a loaded machine takes longer than a test's own waits.
            first = set_mark(listed, Decimal(60_000))
            wait_until(
                lambda: answered(listed.margin_asset.code, first),
                timeout=180,
                what="the futures engine to start",
            )
            yield listed
        finally:
            os.killpg(engine.pid, signal.SIGTERM)
            engine.wait(timeout=20)


@pytest.fixture
def quiet_book(contract: Contract) -> Contract:
    """The contract with no resting order left by the package's other modules."""
    for order in FuturesOrder.objects.filter(contract=contract, status__in=FUTURES_OPEN_STATUSES):
        cancel_futures_order(user=order.user, order_id=order.pk)
    wait_until(
        lambda: (
            not FuturesOrder.objects.filter(
                contract=contract, status__in=FUTURES_OPEN_STATUSES
            ).exists()
        ),
        what="the book to empty",
    )
    return contract


def transferred(transfer_id: int) -> bool:
    return FuturesTransfer.objects.get(pk=transfer_id).status != TransferStatus.PENDING


def leverage_of(user_id: int, contract: Contract) -> int | None:
    row = Position.objects.filter(user_id=user_id, contract=contract).first()
    return row.leverage if row else None


__all__ = ["SYMBOL", "leverage_of", "quiet_book", "set_mark", "transferred", "wait_until"]
