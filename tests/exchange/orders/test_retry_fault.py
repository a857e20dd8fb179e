"""Fault test: web processes are SIGKILLed under a retrying client; no order exists twice.

Two real web processes (daphne) serve the native REST API; client threads
place orders, each with its own client order id, and retry every call that
fails at the client (connection reset, refused, 5xx) on either process until
it is answered. A killer thread SIGKILLs a random web process a few hundred
milliseconds after the last one came back, and starts it again, so kills land before the commit,
between the commit and the answer, and after. Every intended order must then
exist exactly once. ``RETRY_FAULT_ORDERS`` sets the size (1,000 here; the
bench size is 10,000: ``python bench/retry_fault.py --orders 10000``, results in
bench/RESULTS.md).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from api.rest.accounts.tokens import issue_token
from exchange.orders.models import Order
from tests.test_processes import database_url, free_port

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
ORDERS = int(os.environ.get("RETRY_FAULT_ORDERS", "1000"))
CLIENTS = 4


@dataclass
class Web:
    """One daphne process on its own port, restartable."""

    port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                str(BIN / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "exchange.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        """Until it answers (startup takes seconds on a loaded machine)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v3/ping", timeout=2):  # noqa: S310
                    return
            except OSError:
                assert time.monotonic() < deadline, "web process did not start"
                time.sleep(0.1)

    def kill(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _post(url: str, token: str, body: dict[str, str]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        f"{url}/api/v1/orders",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.mark.django_db(transaction=True)
def test_killed_web_processes_never_double_a_retried_order(make_user, assets, fund, btcusdt):
    # given a funded trader and two web processes
    user = make_user()
    fund(user, assets["USDT"], str(ORDERS * 10 + 1000))
    token = issue_token(user=user)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PATH": f"{BIN}:{os.environ['PATH']}",
    }
    webs = [Web(free_port(), env), Web(free_port(), env)]
    for web in webs:
        web.start()
    for web in webs:
        web.wait_ready()
    stop = threading.Event()
    kills = Counter[str]()

    def killer() -> None:
        rng = random.Random(18)
        while not stop.wait(rng.uniform(0.1, 0.5)):
            web = rng.choice(webs)
            web.kill()
            web.start()
            kills["kills"] += 1
            web.wait_ready()

    outcomes = Counter[str]()

    def place(n: int) -> tuple[str, int]:
        body = {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "price": "1000",
            "quantity": "0.01",
            "client_order_id": f"fault-{n}",
        }
        rng = random.Random(n)
        attempts = 0
        while True:
            attempts += 1
            web = rng.choice(webs)
            try:
                status, answer = _post(web.url, token, body)
            except OSError:  # killed mid-request, or not listening yet: retry
                outcomes["client_failures"] += 1
                time.sleep(0.05)
                continue
            if status >= 500:
                outcomes["server_errors"] += 1
                continue
            assert status in (200, 201), (status, answer)
            if status == 200:  # a retry answered with the order an earlier attempt placed
                outcomes["answered_with_first"] += 1
            return body["client_order_id"], int(str(answer["id"]))

    # when the clients place every order while the killer runs
    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = dict(pool.map(place, range(ORDERS)))
    finally:
        stop.set()
        thread.join()
        for web in webs:
            web.kill()

    # then each intended order exists exactly once, and is the one its client was told of
    rows = list(Order.objects.filter(user=user).values_list("client_order_id", "pk"))
    per_id = Counter(client_id for client_id, _ in rows)
    doubled = [client_id for client_id, n in per_id.items() if n > 1]
    print(  # noqa: T201 - the bench script (bench/retry_fault.py) reads this line
        f"retry fault: {ORDERS} orders, {len(rows)} rows, {len(doubled)} duplicates, "
        f"{kills['kills']} kills, {dict(outcomes)}"
    )
    assert doubled == []
    assert len(rows) == ORDERS
    assert dict(rows) == answers
    assert kills["kills"] > 0 and outcomes["client_failures"] > 0  # the faults happened
