"""Every web process sees a revoked key and a changed market on its very next request.

Two real web processes (daphne, each its own port and memory) serve the same database
and Redis. Each test warms both processes' caches with signed requests, shows that a
change made behind the actions' back is not seen (each process really serves from its
memory), then makes the change through the real action and sends the next request to
each process. See docs/adr/0056-cache-invalidation-across-processes.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings

from api.rest.accounts.tokens import issue_token
from exchange.accounts.actions import do_create_api_key, do_revoke_api_key, do_set_user_active
from exchange.accounts.models import ApiKey, User
from exchange.accounts.requests import ApiKeyRequest
from exchange.audit.actions import Operator
from exchange.markets.actions import do_change_market, do_set_market_status
from exchange.markets.models import Market, MarketStatus
from tests.test_processes import database_url, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKERS = 2

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Worker:
    """One daphne process on its own port."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path


@dataclass
class Bot:
    user: User
    key: str
    secret: str
    key_id: int
    token: str


def _wait_ready(worker: Worker, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{worker.url}/api/v3/ping", timeout=2):  # noqa: S310
                return
        except OSError:
            assert worker.proc.poll() is None, worker.log.read_text()[-3000:]
            assert time.monotonic() < deadline, "web process did not start"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def workers(django_db_setup, tmp_path_factory) -> Iterator[list[Worker]]:  # noqa: ANN001
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
        "PATH": f"{BIN}:{os.environ['PATH']}",
    }
    logs = tmp_path_factory.mktemp("workers")
    started = []
    for n in range(WORKERS):
        port, log = free_port(), logs / f"web-{n}.log"
        proc = subprocess.Popen(  # noqa: S603 - our own server, loopback only
            [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "exchange.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(Worker(f"http://127.0.0.1:{port}", proc, log))
    try:
        for worker in started:
            _wait_ready(worker)
        yield started
    finally:
        for worker in started:
            os.killpg(worker.proc.pid, signal.SIGTERM)
        for worker in started:
            try:
                worker.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.proc.pid, signal.SIGKILL)
                worker.proc.wait()


def _call(request: urllib.request.Request) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def signed(
    worker: Worker, bot: Bot, method: str, path: str, **params: str
) -> tuple[int, dict[str, object]]:
    """A Binance-signed request as a bot sends it: HMAC-SHA256 over the form body."""
    body = urlencode({**params, "timestamp": int(time.time() * 1000)})
    body += "&signature=" + hmac.new(bot.secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    if method == "GET":
        url, data = f"{worker.url}{path}?{body}", None
    else:
        url, data = f"{worker.url}{path}", body.encode()
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url,
        data=data,
        method=method,
        headers={
            "X-MBX-APIKEY": bot.key,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    return _call(request)


def native(
    worker: Worker, bot: Bot, method: str, path: str, body: dict[str, object] | None = None
) -> tuple[int, dict[str, object]]:
    """A call to the native REST API with the owner's login token."""
    request = urllib.request.Request(  # noqa: S310 - loopback only
        f"{worker.url}/api/v1{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Token {bot.token}", "Content-Type": "application/json"},
    )
    return _call(request)


def account(worker: Worker, bot: Bot) -> tuple[int, dict[str, object]]:
    return signed(worker, bot, "GET", "/api/v3/account")


def buy(worker: Worker, bot: Bot, *, price: str, quantity: str) -> tuple[int, dict[str, object]]:
    """A resting LIMIT buy, answered on entry (ACK): no engine needed."""
    return signed(
        worker,
        bot,
        "POST",
        "/api/v3/order",
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        price=price,
        quantity=quantity,
        newOrderRespType="ACK",
    )


def codes(answers: list[tuple[int, dict[str, object]]]) -> list[object]:
    """Each answer's Binance error code, or its HTTP status when it succeeded."""
    return [body.get("code", status) if status >= 400 else status for status, body in answers]


@pytest.fixture
def make_bot(make_user, assets, fund, redis_client) -> Callable[[], Bot]:  # noqa: ANN001
    def make() -> Bot:
        user = make_user()
        fund(user, assets["USDT"], "100000")
        created = do_create_api_key(
            user=user, request=ApiKeyRequest.parse(label="bot", permissions=["read", "trade"])
        )
        assert created.secret is not None
        return Bot(
            user=user,
            key=created.api_key.key,
            secret=created.secret,
            key_id=created.api_key.pk,
            token=issue_token(user=user),
        )

    return make


def warm_keys(workers: list[Worker], bot: Bot) -> None:
    """Every process has read the key, then is shown to serve it from memory: a change
    made in the database without an action (no invalidation) goes unseen."""
    assert codes([account(w, bot) for w in workers for _ in range(2)]) == [200] * 2 * WORKERS
    ApiKey.objects.filter(pk=bot.key_id).update(ip_whitelist=["192.0.2.0/24"])
    assert codes([account(w, bot) for w in workers]) == [200] * WORKERS


def owner_revokes_through_the_api(workers: list[Worker], bot: Bot) -> None:
    status, _ = native(workers[0], bot, "DELETE", f"/api-keys/{bot.key_id}")
    assert status == 200


def operator_revokes(workers: list[Worker], bot: Bot) -> None:
    do_revoke_api_key(
        user=bot.user, api_key_id=bot.key_id, operator=Operator(reason="admin: Revoke")
    )


def operator_deactivates_the_user(workers: list[Worker], bot: Bot) -> None:
    do_set_user_active(user_id=bot.user.pk, active=False, operator=Operator(reason="admin"))


@pytest.mark.parametrize(
    "revoke", [owner_revokes_through_the_api, operator_revokes, operator_deactivates_the_user]
)
def test_a_revoked_key_is_refused_on_the_next_request_to_every_worker(workers, make_bot, revoke):  # noqa: ANN001
    # given a key every process holds in memory, and another user's key in use too
    bot, other = make_bot(), make_bot()
    warm_keys(workers, bot)
    assert codes([account(w, other) for w in workers]) == [200] * WORKERS

    # when it is revoked through a real action
    revoke(workers, bot)

    # then the very next signed request to each process is refused as an unknown key,
    # and the next after it too; the other key keeps working everywhere
    assert codes([account(w, bot) for w in workers]) == [-2015] * WORKERS
    assert codes([account(w, bot) for w in workers]) == [-2015] * WORKERS
    assert codes([account(w, other) for w in workers]) == [200] * WORKERS


def test_a_key_created_after_warm_up_works_at_once_on_every_worker(workers, make_bot):  # noqa: ANN001
    # given processes whose key caches are warm
    bot = make_bot()
    warm_keys(workers, bot)

    # when the owner creates a new key through one process
    status, created = native(
        workers[0], bot, "POST", "/api-keys", {"label": "new", "permissions": ["read"]}
    )
    assert status == 201
    new = Bot(bot.user, str(created["key"]), str(created["secret"]), int(created["id"]), "")

    # then its first signed request to each process is served
    assert codes([account(w, new) for w in workers]) == [200] * WORKERS


@pytest.fixture
def warm_market(workers, make_bot, btcusdt) -> Bot:  # noqa: ANN001
    """A trader whose orders every process has checked against BTCUSDT (min notional 5),
    then shown to check against the market in memory: a raised minimum written without
    an action goes unseen."""
    bot = make_bot()
    assert codes([buy(w, bot, price="100.00", quantity="0.1") for w in workers]) == [200] * 2
    Market.objects.filter(pk=btcusdt.pk).update(min_notional=Decimal(1000))
    assert codes([buy(w, bot, price="100.00", quantity="0.1") for w in workers]) == [200] * 2
    return bot


def test_a_changed_market_filter_applies_to_the_next_order_on_every_worker(workers, warm_market):  # noqa: ANN001
    # when the operator raises the minimum notional to 50 through the action
    do_change_market(symbol="BTCUSDT", operator=Operator(reason="admin"), min_notional=Decimal(50))

    # then the next order on each process is checked against it: 10 USDT is refused,
    # 60 USDT accepted
    refused = [buy(w, warm_market, price="100.00", quantity="0.1") for w in workers]
    assert codes(refused) == [-1013] * WORKERS
    assert {body["msg"] for _, body in refused} == {"Filter failure: NOTIONAL"}
    accepted = [buy(w, warm_market, price="100.00", quantity="0.6") for w in workers]
    assert codes(accepted) == [200] * WORKERS


def test_a_halt_and_a_resume_apply_to_the_next_order_on_every_worker(workers, warm_market):  # noqa: ANN001
    # when the operator halts the market
    do_set_market_status(symbol="BTCUSDT", status=MarketStatus.HALT, operator=Operator())

    # then the next order on each process is refused as to a closed market
    halted = [buy(w, warm_market, price="100.00", quantity="20") for w in workers]
    assert codes(halted) == [-2010] * WORKERS
    assert {body["msg"] for _, body in halted} == {"Market is closed."}

    # and once resumed, the next order on each process is taken again
    do_set_market_status(symbol="BTCUSDT", status=MarketStatus.TRADING, operator=Operator())
    assert (
        codes([buy(w, warm_market, price="100.00", quantity="20") for w in workers])
        == [200] * WORKERS
    )
