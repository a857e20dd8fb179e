"""A live exchange for the compatibility tests: web (daphne), engine, clearing, market data.

Started once for the package against the test database and the test Redis;
the real clients (ccxt, python-binance, an FMZ-shaped HTTP client) talk to
it over HTTP. Each test module trades in its own market so their books do
not meet; each trader is a fresh user with a fresh API key.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import setup_databases, teardown_databases
from redis.cluster import RedisCluster

from exchange.accounts.actions import do_create_api_key
from exchange.accounts.models import User
from exchange.accounts.requests import ApiKeyRequest
from exchange.markets.actions import do_create_market
from exchange.markets.models import Market
from exchange.orders.actions import do_cancel_all_orders
from exchange.orders.models import Order
from exchange.orders.selectors import order_list_open
from exchange.wallets.actions import do_credit_deposit
from exchange.wallets.models import Asset, Balance
from tests.test_processes import database_url, free_port

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
# One market per client family: BTCUSDT for ccxt, ETHUSDT for python-binance,
# LTCUSDT for FMZ, SOLUSDT for the bad-input checks, ADAUSDT for ccxt.pro's streams.
MARKETS = ("BTCUSDT", "ETHUSDT", "LTCUSDT", "SOLUSDT", "ADAUSDT")
_seq = itertools.count(1)


@dataclass
class Trader:
    user: User
    key: str
    secret: str


@dataclass
class LiveExchange:
    url: str
    assets: dict[str, Asset]
    traders: list[Trader] = field(default_factory=list)

    def trader(self, permissions: tuple[str, ...] = ("read", "trade"), **funds: str) -> Trader:
        """A new user with an HMAC key and the given deposits (``USDT="1000"``)."""
        user = User.objects.create_user(email=f"bot{next(_seq)}@example.com", password="x" * 12)
        created = do_create_api_key(
            user=user, request=ApiKeyRequest.parse(label="bot", permissions=list(permissions))
        )
        for code, amount in funds.items():
            do_credit_deposit(
                user=user,
                asset=self.assets[code],
                amount=amount,
                network="test",
                txid=f"compat-{next(_seq)}",
            )
        assert created.secret is not None
        trader = Trader(user=user, key=created.api_key.key, secret=created.secret)
        self.traders.append(trader)
        return trader


def balance(trader: Trader, code: str) -> tuple[Decimal, Decimal]:
    """(available, locked) from the database."""
    row = Balance.objects.filter(account__user=trader.user, asset__code=code).first()
    return (row.available, row.locked) if row else (Decimal(0), Decimal(0))


def wait_until(predicate, timeout: float = 20.0, what: str = "condition") -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def settled(order_id: int) -> bool:
    return Order.objects.get(pk=order_id).accepted_at is not None


def _create_markets(assets: dict[str, Asset]) -> None:
    for symbol in MARKETS:
        base = symbol.removesuffix("USDT")
        do_create_market(
            base=assets[base],
            quote=assets["USDT"],
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.00001"),
            min_qty=Decimal("0.00001"),
            max_qty=Decimal("9000"),
            min_notional=Decimal("5"),
            maker_fee=Decimal("0.001"),
            taker_fee=Decimal("0.002"),
        )


def _start(argv: list[str], env: dict[str, str], lines: list[str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    threading.Thread(
        target=lambda: lines.extend(raw.decode(errors="replace") for raw in proc.stdout),
        daemon=True,
    ).start()
    return proc


@contextmanager
def _test_database() -> Iterator[None]:
    """The test database, created here when no test in the session asked pytest-django for one
    (it sets databases up only for tests marked django_db)."""
    if connection.settings_dict["NAME"] == connection.creation._get_test_db_name():
        yield
        return
    config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    try:
        yield
    finally:
        teardown_databases(config, verbosity=0)


@pytest.fixture(scope="package")
def live(request, django_db_setup, django_db_blocker) -> Iterator[LiveExchange]:  # noqa: ANN001
    # Imported into a test module rather than a package's conftest.py, a package-scoped
    # fixture has no package and lives until the session ends: its processes (a second
    # market-data feed among them) would run beside every later live exchange's.
    assert isinstance(request.node, pytest.Package), (
        "import `live` in a package's conftest.py, not into a test module"
    )
    connect = RedisCluster.from_url if settings.REDIS_CLUSTER else redis.Redis.from_url
    client = connect(settings.REDIS_URL)
    client.flushdb()
    with django_db_blocker.unblock(), _test_database():
        assets = {
            code: Asset.objects.get_or_create(code=code, defaults={"name": code, "precision": 8})[0]
            for code in ("BTC", "ETH", "LTC", "SOL", "ADA", "USDT")
        }
        _create_markets(assets)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "PYTHONUNBUFFERED": "1",
            "PATH": f"{BIN}:{os.environ['PATH']}",
        }
        manage = [sys.executable, "manage.py"]
        lines: list[str] = []
        procs = [
            _start(
                [
                    str(BIN / "daphne"),
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "exchange.asgi:application",
                ],
                env,
                lines,
            ),
            _start([*manage, "runengine", "--", "--block-ms", "5"], env, lines),
            _start([*manage, "runclearing"], env, lines),
            _start([*manage, "runmarketdata"], env, lines),
        ]
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/api/v3/ping", timeout=2):  # noqa: S310
                        break
                except OSError:
                    assert time.monotonic() < deadline, "".join(lines)[-3000:]
                    assert all(p.poll() is None for p in procs), "".join(lines)[-3000:]
                    time.sleep(0.2)
            exchange = LiveExchange(url=url, assets=assets)
            yield exchange
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            call_command("flush", interactive=False, verbosity=0)
            client.flushdb()
            client.close()


@pytest.fixture(autouse=True)
def _db(live: LiveExchange, django_db_blocker) -> Iterator[None]:  # noqa: ANN001
    """The tests read the live exchange's database directly; each cleans up its orders."""
    with django_db_blocker.unblock():
        yield
        for trader in live.traders:
            for symbol in {o.market.symbol for o in order_list_open(user=trader.user)}:
                do_cancel_all_orders(user=trader.user, symbol=symbol)
        for trader in live.traders:
            wait_until(
                lambda t=trader: not order_list_open(user=t.user).exists(),
                what="test orders to be cancelled",
            )
        live.traders.clear()


def market(symbol: str) -> Market:
    return Market.objects.select_related("base", "quote").get(symbol=symbol)
