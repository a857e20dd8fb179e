"""Clearing processes running at once: one per engine shard, or two on one market by mistake.

Real ``manage.py runclearing`` processes, the real engine process, the real
database. The test holds the checkpoint table until both processes wait on
it (PostgreSQL: a table lock; SQLite: the write lock), so both start on the
whole backlog at the same moment, in small batches, and interleave to the end.
The same four users trade in both markets (sellers in one are buyers in the
other), so both processes move the same balance rows and the fee account's.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from exchange.accounts.models import User
from exchange.clearing.models import Checkpoint, DeadLetter
from exchange.core.redis import get_redis
from exchange.markets.actions import do_create_market
from exchange.markets.models import Market
from exchange.orders.actions import do_place_orders
from exchange.orders.models import Order, OrderStatus, Trade
from exchange.orders.requests import OrderRequest
from exchange.reconciliation.checks import reconcile
from exchange.wallets.models import AccountKind, Balance
from matching_client import input_stream, output_stream
from tests.pipeline import running_engine
from tests.test_processes import ROOT, database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

TRADES = 300  # per market; every buy takes one resting sell
QTY, PRICE = Decimal("0.01"), Decimal("1000")
FUNDS = Decimal("100000")
STARTED = "INFO exchange.clearing clearing "  # the process has started its market threads
CLEARED = re.compile(r"(\w+) (\d+) entries/(\d+) trades")


@pytest.fixture
def markets(btcusdt, assets) -> dict[str, Market]:
    ethusdt = do_create_market(
        base=assets["ETH"],
        quote=assets["USDT"],
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.00001"),
        min_qty=Decimal("0.00001"),
        max_qty=Decimal("9000"),
        min_notional=Decimal("5"),
        maker_fee=Decimal("0.001"),
        taker_fee=Decimal("0.002"),
    )
    return {"BTCUSDT": btcusdt, "ETHUSDT": ethusdt}


@pytest.fixture
def users(make_user, assets, fund) -> list[User]:
    traders = [make_user() for _ in range(4)]
    for user in traders:
        for code in ("BTC", "ETH", "USDT"):
            fund(user, assets[code], str(FUNDS))
    return traders


def roles(users: list[User]) -> dict[str, tuple[list[User], list[User]]]:
    """(sellers, buyers) per market: each user sells in one market and buys in the other."""
    return {"BTCUSDT": (users[:2], users[2:]), "ETHUSDT": (users[2:], users[:2])}


def place_backlog(users: list[User]) -> None:
    """Resting sells, then as many buys crossing them one for one, in both markets."""
    for symbol, (sellers, buyers) in roles(users).items():
        for side, placers in (("SELL", sellers), ("BUY", buyers)):
            for user in placers:
                orders = [
                    OrderRequest.parse(
                        symbol=symbol, side=side, type="LIMIT", price=PRICE, quantity=QTY
                    )
                    for _ in range(TRADES // len(placers))
                ]
                do_place_orders(user=user, requests=orders)


def wait_matched(symbols: list[str], timeout: float = 60) -> None:
    client = get_redis()
    deadline = time.monotonic() + timeout
    for symbol in symbols:
        while client.xlen(output_stream(symbol)) < client.xlen(input_stream(symbol)):
            assert time.monotonic() < deadline, "the engine did not answer every command"
            time.sleep(0.05)


@contextmanager
def checkpoints_held() -> Iterator[None]:
    """Hold clearing back: no clearing transaction starts until the block ends."""
    with transaction.atomic():  # SQLite: BEGIN IMMEDIATE, the database's write lock
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {Checkpoint._meta.db_table} IN EXCLUSIVE MODE")
        yield


def waiting_on_checkpoints() -> int:
    """Transactions waiting for the checkpoint table (PostgreSQL; SQLite cannot tell)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE NOT l.granted AND c.relname = %s",
            [Checkpoint._meta.db_table],
        )
        (count,) = cursor.fetchone()
    return int(count)


def start_clearing(args: list[str], log: Path, shards: str = "") -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "ENGINE_SHARDS": shards,
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    argv = [sys.executable, "manage.py", "runclearing", "--batch-size", "4", *args]
    with log.open("wb") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def clear_at_once(runs: list[tuple[list[str], str]], logs: Path, symbols: list[str]) -> list[str]:
    """Start a clearing process per run (arguments, ENGINE_SHARDS), hold them all at the
    checkpoints until every one waits there, then let go; stop them once every output
    entry is cleared. Return each one's log."""
    paths = [logs / f"clearing-{i}.log" for i in range(len(runs))]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with checkpoints_held():
            procs = [
                start_clearing(args, path, shards)
                for (args, shards), path in zip(runs, paths, strict=True)
            ]
            deadline = time.monotonic() + 60
            while not all(STARTED in path.read_text() for path in paths):
                assert all(p.poll() is None for p in procs), [p.read_text() for p in paths]
                assert time.monotonic() < deadline, [p.read_text() for p in paths]
                time.sleep(0.1)
            if connection.vendor == "postgresql":  # a market thread each, at its first batch
                threads = sum(len(started(path.read_text())) for path in paths)
                while waiting_on_checkpoints() < threads:
                    assert time.monotonic() < deadline, "the processes never reached a batch"
                    time.sleep(0.05)
            else:
                time.sleep(1)  # their first batch is reached within milliseconds
        client = get_redis()
        last = {s: client.xrevrange(output_stream(s), count=1)[0][0].decode() for s in symbols}
        deadline = time.monotonic() + 120
        while any(
            Checkpoint.objects.filter(symbol=s, last_entry_id=last[s]).count() == 0 for s in symbols
        ):
            assert all(p.poll() is None for p in procs), [p.read_text() for p in paths]
            assert time.monotonic() < deadline, "clearing did not finish"
            time.sleep(0.1)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=30) for proc in procs]
    assert codes == [0] * len(procs), [path.read_text() for path in paths]
    return [path.read_text() for path in paths]


def started(log: str) -> list[str]:
    """The markets the process started clearing."""
    return log.split(STARTED, 1)[1].splitlines()[0].split(", ")


def outputs(symbols: list[str]) -> dict[str, int]:
    """Output entries per market: a PLACE or an order's answer each, and the market's own."""
    client = get_redis()
    return {symbol: client.xlen(output_stream(symbol)) for symbol in symbols}


def cleared(log: str) -> dict[str, tuple[int, int]]:
    """{symbol: (entries applied, trades)} from the process's last report (at its exit)."""
    (*_, last) = (line for line in log.splitlines() if " cleared: " in line)
    return {s: (int(e), int(t)) for s, e, t in CLEARED.findall(last)}


def assert_settled_exactly_once(markets: dict[str, Market], users: list[User]) -> None:
    """Every trade once, every order filled, every balance exactly what the trades give."""
    assert not DeadLetter.objects.exists(), list(DeadLetter.objects.values("entry_id", "error"))
    for market in markets.values():
        trade_ids = list(Trade.objects.filter(market=market).values_list("trade_id", flat=True))
        assert len(trade_ids) == len(set(trade_ids)) == TRADES
        orders = Order.objects.filter(market=market)
        assert orders.count() == 2 * TRADES
        assert set(orders.values_list("status", "executed_qty", "locked_remaining")) == {
            (OrderStatus.FILLED, QTY, Decimal(0))
        }
    # each user sells TRADES / 2 in one market, buys TRADES / 2 in the other; the buyer is
    # the taker (fee 0.2 % of the base received), the seller the maker (0.1 % of the quote)
    half = TRADES // 2
    quote = QTY * PRICE
    bought = half * (QTY - QTY * Decimal("0.002"))
    for symbol, (sellers, buyers) in roles(users).items():
        base = markets[symbol].base.code
        for user in sellers:
            assert holdings(user)[base] == FUNDS - half * QTY
        for user in buyers:
            assert holdings(user)[base] == FUNDS + bought
    for user in users:  # sold in one market, bought in the other
        assert holdings(user)["USDT"] == FUNDS + half * (quote - quote * Decimal("0.001")) - (
            half * quote
        )
    fees = {
        code: sum(
            Balance.objects.filter(
                account__kind=AccountKind.FEE_INCOME, asset__code=code
            ).values_list("available", flat=True),
            Decimal(0),
        )
        for code in ("BTC", "ETH", "USDT")
    }
    assert fees == {
        "BTC": TRADES * QTY * Decimal("0.002"),
        "ETH": TRADES * QTY * Decimal("0.002"),
        "USDT": 2 * TRADES * quote * Decimal("0.001"),
    }
    assert reconcile().ok


def holdings(user: User) -> dict[str, Decimal]:
    """available + locked per asset code; nothing may be left locked."""
    rows = Balance.objects.filter(account__user=user).values_list(
        "asset__code", "available", "locked"
    )
    assert all(locked == 0 for _, _, locked in rows)
    return {code: available for code, available, _ in rows}


def test_a_clearing_process_per_engine_shard_clears_its_markets_side_by_side(
    redis_client, markets, users, tmp_path
):
    # given both markets' backlog matched by the engine, and a shard map of one market each
    symbols = list(markets)
    with running_engine(symbols):
        place_backlog(users)
        wait_matched(symbols)
    shards = "engine-0=BTCUSDT;engine-1=ETHUSDT"
    # when a clearing process per shard clears them at the same time
    logs = clear_at_once(
        [(["--shard", "engine-0"], shards), (["--shard", "engine-1"], shards)], tmp_path, symbols
    )
    # then each cleared its own shard's market, all of it, without a failed batch
    entries = outputs(symbols)
    assert cleared(logs[0]) == {"BTCUSDT": (entries["BTCUSDT"], TRADES)}
    assert cleared(logs[1]) == {"ETHUSDT": (entries["ETHUSDT"], TRADES)}
    for log in logs:
        assert "step failed" not in log, log
    assert_settled_exactly_once(markets, users)


def test_two_clearing_processes_on_one_market_apply_each_entry_once(
    redis_client, markets, users, tmp_path
):
    # given both markets' backlog matched by the engine
    symbols = list(markets)
    with running_engine(symbols):
        place_backlog(users)
        wait_matched(symbols)
    # when two processes clear both markets (a shard map changed under running pods),
    # starting together on the same entries
    logs = clear_at_once([([], ""), ([], "")], tmp_path, symbols)
    # then every entry was applied by exactly one of them (how they shared the work is up
    # to the lock queue: on SQLite one may take every batch)
    first, second = cleared(logs[0]), cleared(logs[1])
    entries = outputs(symbols)
    for symbol in symbols:
        assert first[symbol][0] + second[symbol][0] == entries[symbol], (first, second)
        assert first[symbol][1] + second[symbol][1] == TRADES, (first, second)
    for log in logs:
        assert "step failed" not in log, log
    assert_settled_exactly_once(markets, users)
