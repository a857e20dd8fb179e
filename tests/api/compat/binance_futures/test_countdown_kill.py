"""The futures dead-man's switch with real processes: a bot (python-binance in its own
process) places orders and heartbeats ``countdownCancelAll``; it is killed, and its orders
are canceled within a second of the deadline its last heartbeat set, by the Celery
worker+beat. A countdown whose deadline passes while the worker is down fires once when
a worker starts again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from exchange.futures.models import FuturesCancelCountdown, FuturesOrder, FuturesOrderStatus
from tests.api.compat.binance_futures.test_order_management import funded_client
from tests.api.compat.conftest import ROOT, LiveExchange, wait_until
from tests.test_processes import database_url

COUNTDOWN_MS = 2_000
BOT = textwrap.dedent(
    """
    import sys, time
    from binance.client import Client

    url, key, secret, countdown = sys.argv[1:5]

    class Local(Client):
        API_URL = url + "/api"
        FUTURES_URL = url + "/fapi"

    client = Local(key, secret)
    for price in ("59000", "58500", "58000"):
        client.futures_create_order(symbol="BTCUSDT", side="BUY", type="LIMIT",
                                    timeInForce="GTC", quantity="0.01", price=price)
    while True:
        client.futures_countdown_cancel_all(symbol="BTCUSDT", countdownTime=int(countdown))
        print("heartbeat", flush=True)
        time.sleep(0.3)
    """
)


class Worker:
    """``celery -A exchange worker -B``: the worker and beat of deploy/Procfile in one."""

    def __init__(self, schedule: Path) -> None:
        env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL}
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "exchange", "worker", "-B"]
            + ["--concurrency=1", "--loglevel=INFO", f"--schedule={schedule}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        out = self.proc.stdout
        threading.Thread(
            target=lambda: self.lines.extend(raw.decode(errors="replace") for raw in out),
            daemon=True,
        ).start()

    def ready(self) -> bool:
        return any("celery@" in line and "ready" in line for line in self.lines)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def test_the_countdown_fires_on_time_when_the_bot_dies_and_once_after_a_worker_restart(
    live: LiveExchange, contract, tmp_path: Path
) -> None:
    # given a funded bot process heartbeating its countdown, and a worker running it
    client = funded_client(live)
    trader = live.traders[-1]
    worker = Worker(tmp_path / "beat")
    bot = subprocess.Popen(
        [sys.executable, "-c", BOT, live.url, trader.key, trader.secret, str(COUNTDOWN_MS)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    orders = FuturesOrder.objects.filter(user=trader.user)
    countdown = FuturesCancelCountdown.objects.filter(user=trader.user)

    def resting() -> bool:
        return orders.filter(status=FuturesOrderStatus.NEW, accepted=True).count() == 3

    def all_canceled() -> bool:
        return set(orders.values_list("status", flat=True)) == {FuturesOrderStatus.CANCELED}

    try:
        wait_until(worker.ready, timeout=90, what="the worker")
        wait_until(resting, what="the bot's three orders")
        assert bot.stdout is not None
        for _ in range(2 * COUNTDOWN_MS // 300):  # heartbeats past one window: still open
            assert bot.stdout.readline().strip() == b"heartbeat"
        assert resting()
        # when the bot is killed
        os.killpg(bot.pid, signal.SIGKILL)
        bot.wait()
        deadline = countdown.get().deadline
        # then its orders are canceled within a second of the last heartbeat's deadline
        wait_until(all_canceled, timeout=COUNTDOWN_MS / 1000 + 10, what="the cancels")
        late = max(orders.values_list("updated_at", flat=True)) - deadline
        sys.stdout.write(f"canceled {late.total_seconds():.3f} s after the deadline\n")
        assert timedelta(0) <= late <= timedelta(seconds=1), late
        assert not countdown.exists()

        # given another countdown whose deadline passes while no worker runs
        order = client.futures_create_order(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.01",
            price="57500",
        )
        client.futures_countdown_cancel_all(symbol="BTCUSDT", countdownTime=COUNTDOWN_MS)
        worker.kill()
        deadline = countdown.get().deadline
        wait_until(lambda: timezone.now() > deadline, timeout=COUNTDOWN_MS / 1000 + 2)
        assert orders.get(pk=order["orderId"]).status == FuturesOrderStatus.NEW
        # when a worker starts again, it fires the overdue countdown (the deadline is a row)
        worker = Worker(tmp_path / "beat")
        wait_until(worker.ready, timeout=90, what="the restarted worker")
        wait_until(all_canceled, what="the overdue countdown's cancel")
        assert not countdown.exists()
        time.sleep(2)  # two more beat periods: nothing fires again
        fired = [line for line in worker.lines if f"countdown of user {trader.user.pk} " in line]
        assert len(fired) == 1, fired
    finally:
        if bot.poll() is None:
            os.killpg(bot.pid, signal.SIGKILL)
        worker.kill()
