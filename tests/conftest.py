"""Shared fixtures: real database (pytest-django), real Redis, factories."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
import redis
from django.conf import settings
from redis.cluster import RedisCluster
from rest_framework.test import APIClient

from exchange.accounts.models import User
from exchange.markets.actions import do_create_market
from exchange.markets.models import Market
from exchange.wallets.actions import do_credit_deposit
from exchange.wallets.models import Asset

_seq = itertools.count(1)

if not os.environ.get("REDIS_URL"):
    # On the embedded server each test run gets its own database number, so two runs
    # on one machine never flush each other's streams. Subprocesses get this URL.
    settings.REDIS_URL = settings.REDIS_URL.replace("db=0", f"db={1 + os.getpid() % 15}")


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """The configured Redis (CI's server, the embedded one or a cluster), emptied for the test."""
    connect = RedisCluster.from_url if settings.REDIS_CLUSTER else redis.Redis.from_url
    client = connect(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(email: str | None = None, password: str = "correct horse battery") -> User:  # noqa: S107
        return User.objects.create_user(
            email=email or f"user{next(_seq)}@example.com", password=password
        )

    return make


@pytest.fixture
def assets(db: None) -> dict[str, Asset]:
    specs = [("BTC", "Bitcoin", 8), ("ETH", "Ether", 8), ("USDT", "Tether USD", 8)]
    return {
        code: Asset.objects.get_or_create(code=code, defaults={"name": name, "precision": prec})[0]
        for code, name, prec in specs
    }


@pytest.fixture
def btcusdt(assets: dict[str, Asset]) -> Market:
    return do_create_market(
        base=assets["BTC"],
        quote=assets["USDT"],
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.00001"),
        min_qty=Decimal("0.00001"),
        max_qty=Decimal("9000"),
        min_notional=Decimal("5"),
        maker_fee=Decimal("0.001"),
        taker_fee=Decimal("0.002"),
    )


@pytest.fixture
def fund(db: None) -> Callable[[User, Asset, str], None]:
    def credit(user: User, asset: Asset, amount: str) -> None:
        do_credit_deposit(
            user=user, asset=asset, amount=amount, network="test", txid=f"fund-{next(_seq)}"
        )

    return credit


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
