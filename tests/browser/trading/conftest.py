"""A live exchange behind the browser: daphne (HTTP and WebSocket), engine, clearing and
market data, as in the compatibility tests, plus the demo's simulated chain so the page's
test deposits work. The page is the only client the traders under test use."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import requests

from exchange.demo.simnet import seed_sim_network
from tests.api.compat.conftest import LiveExchange
from tests.api.compat.conftest import live as live  # noqa: F401 - the package's live exchange

_seq = itertools.count(1)
PASSWORD = "a long test passphrase"  # noqa: S105 - a test password


@pytest.fixture(scope="package")
def exchange(live: LiveExchange, django_db_blocker) -> Iterator[LiveExchange]:  # noqa: F811
    with django_db_blocker.unblock():
        seed_sim_network(live.assets)
    yield live


@pytest.fixture(autouse=True)
def _db(exchange: LiveExchange, django_db_blocker) -> Iterator[None]:
    """The tests read the live exchange's database directly."""
    with django_db_blocker.unblock():
        yield


def new_email() -> str:
    return f"trader{next(_seq)}-{int(time.time())}@example.com"


def signed(url: str, key: str, secret: str, method: str, path: str, params: dict[str, str]):
    """A request signed as bots sign them (HMAC-SHA256 over the query string)."""
    payload = urlencode({**params, "timestamp": int(time.time() * 1000)})
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    headers = {"X-MBX-APIKEY": key}
    if method == "GET":
        return requests.get(
            f"{url}{path}?{payload}&signature={signature}", headers=headers, timeout=10
        )
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return requests.request(
        method, f"{url}{path}", data=f"{payload}&signature={signature}", headers=headers, timeout=10
    )
