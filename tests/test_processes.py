"""The Procfile's processes, started as ``make run`` starts them, serve requests and trade."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
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


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.django_db(transaction=True)
def test_procfile_processes_serve_and_trade(
    tmp_path, redis_client, btcusdt, make_user, assets, fund
):
    port = free_port()
    env = {
        **os.environ,
        "WEB_PORT": str(port),
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
    }
    var_dir = tmp_path / "var"
    proc = subprocess.Popen(
        [sys.executable, "-m", "exchange.supervise", "--var", str(var_dir)]
        + ["web", "engine", "clearing", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def logs() -> str:
        return "".join(path.read_text() for path in sorted((var_dir / "log").glob("*.log")))

    try:
        status, body = wait_for(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        assert b'"status": "ok"' in body
        status, body = wait_for(f"http://127.0.0.1:{port}/admin/login/")
        assert status == 200
        assert b"csrfmiddlewaretoken" in body
        deadline = time.monotonic() + 60
        worker_log = var_dir / "log" / "worker.log"
        while not any("celery@" in line and "ready" in line for line in lines(worker_log)):
            assert time.monotonic() < deadline, logs()[-3000:]
            time.sleep(0.2)
        assert proc.poll() is None, logs()[-3000:]
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
            assert time.monotonic() < deadline, logs()[-3000:]
            time.sleep(0.1)
        assert reconcile().ok
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
