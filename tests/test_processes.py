"""The Procfile's processes start against the real database and Redis and serve requests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from exchange.orders.actions import place_order
from exchange.orders.models import Order, OrderStatus
from exchange.orders.requests import OrderRequest
from exchange.reconciliation.checks import reconcile

ROOT = Path(__file__).resolve().parent.parent
HONCHO = Path(sys.executable).parent / "honcho"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(url: str, timeout: float = 30) -> tuple[int, bytes]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                return response.status, response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_procfile_processes_serve_and_trade(redis_client, btcusdt, make_user, assets, fund):
    port = free_port()
    env = {
        **os.environ,
        "WEB_PORT": str(port),
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [str(HONCHO), "-f", "deploy/Procfile", "start", "web", "engine", "clearing", "worker"],
        cwd=ROOT,
        env={**env, "PATH": f"{Path(sys.executable).parent}:{env['PATH']}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(raw.decode(errors="replace") for raw in proc.stdout)
    )
    reader.start()
    try:
        status, body = wait_for(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        assert b'"status": "ok"' in body
        status, body = wait_for(f"http://127.0.0.1:{port}/admin/login/")
        assert status == 200
        assert b"csrfmiddlewaretoken" in body
        deadline = time.monotonic() + 60
        while not any("celery@" in line and "ready" in line for line in lines):
            assert time.monotonic() < deadline, "".join(lines)[-3000:]
            time.sleep(0.2)
        assert proc.poll() is None, "".join(lines)[-3000:]
        # an order placed now is matched by the engine process and settled by clearing
        seller, buyer = make_user(), make_user()
        fund(seller, assets["BTC"], "1")
        fund(buyer, assets["USDT"], "1000")
        place_order(
            user=seller,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="SELL", type="LIMIT", price="60000", quantity="0.01"
            ),
        )
        bid = place_order(
            user=buyer,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="60000", quantity="0.01"
            ),
        )
        deadline = time.monotonic() + 30
        while Order.objects.get(pk=bid.pk).status != OrderStatus.FILLED:
            assert time.monotonic() < deadline, "".join(lines)[-3000:]
            time.sleep(0.1)
        assert reconcile().ok
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        reader.join(timeout=5)
