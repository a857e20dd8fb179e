"""The chaos run: the engine, clearing and order-entry processes, their kills and the sweeper.

Runs in the test process against the test database; the processes get its
DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import signal
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from exchange.clearing.models import Checkpoint
from exchange.core.redis import get_redis
from exchange.orders.actions import do_resend_unacknowledged
from exchange.orders.models import OPEN_STATUSES, Order
from matching_client import parse_entry_id
from tests.chaos.processes import Supervised
from tests.chaos.progress import Progress
from tests.pipeline import last_input_id

RESUMED = re.compile(r"(\w+): resuming after \S+ \((\d+) processed\)")


@dataclass(frozen=True)
class ChaosConfig:
    actions: int  # order and cancel actions the worker must complete, over all its lives
    kills_per_process: int
    symbols: tuple[str, ...]
    user_ids: tuple[int, ...]
    database_url: str
    snapshot_every: int  # engine --snapshot-every: restarts load a snapshot, replay the rest
    sweep_every_s: float = 2.0  # the sweeper, as Celery beat runs it
    max_down_s: float = 1.5  # a killed process is restarted after up to this long
    # Share of the worker's orders after whose commit it SIGKILLs itself, before the
    # PLACE append: the crash window the sweeper exists for.
    crash_share: float = 0.0
    timeout_s: float = 900.0
    settle_timeout_s: float = 180.0


class ChaosRun:
    """Starts the three processes, kills each at random moments and restarts it."""

    def __init__(self, config: ChaosConfig, *, seed: int, workdir: Path) -> None:
        self.config = config
        self.rng = random.Random(seed)
        self.progress = Progress(workdir)
        self.worker_seeds: list[int] = []
        self.worker_crashes = 0
        self.sweeps = 0
        env = {
            **os.environ,
            "DATABASE_URL": config.database_url,
            "REDIS_URL": settings.REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "exchange.settings",
            "PYTHONUNBUFFERED": "1",
        }
        python = sys.executable
        engine_argv = [
            *(python, "-m", "matching_engine", "--redis", settings.REDIS_URL),
            *("--markets", ",".join(config.symbols), "--block-ms", "5"),
            *("--snapshot-every", str(config.snapshot_every), "--log-level", "INFO"),
        ]
        clearing_argv = [python, "manage.py", "runclearing"]
        self.engine = Supervised("engine", lambda life: engine_argv, env=env, log_dir=workdir)
        self.clearing = Supervised("clearing", lambda life: clearing_argv, env=env, log_dir=workdir)
        self.worker = Supervised(
            "worker",
            self._worker_argv,
            env=env,
            log_dir=workdir,
            allowed_exits=(0, -signal.SIGKILL),  # done, or crashed itself after a commit
        )
        self.processes = (self.engine, self.clearing, self.worker)

    def _worker_argv(self, life: int) -> list[str]:
        """Each life draws other actions (its own seed) and does what is left to do."""
        self.worker_seeds.append(self.rng.randrange(2**31))
        return [
            *(sys.executable, "-m", "tests.chaos.order_worker"),
            *("--seed", str(self.worker_seeds[-1])),
            *("--count", str(max(self.config.actions - self.progress.count(), 1))),
            *("--users", ",".join(map(str, self.config.user_ids))),
            *("--progress", str(self.progress.path(life))),
            *("--crash-share", str(self.config.crash_share)),
        ]

    @property
    def kills(self) -> dict[str, int]:
        return {proc.name: proc.kills for proc in self.processes}

    def kill_plan(self) -> list[tuple[int, Supervised]]:
        """kills_per_process kills per process, each once the worker passes a random count."""
        actions = self.config.actions
        plan = [
            (int(self.rng.uniform(0.02, 0.95) * actions), proc)
            for proc in self.processes
            for _ in range(self.config.kills_per_process)
        ]
        return sorted(plan, key=lambda kill: kill[0])

    def run(self) -> None:
        """Until the worker completed its actions and every planned kill and restart happened.

        Raises ProcessDied when the engine or clearing exits on its own.
        """
        actions, plan = self.config.actions, self.kill_plan()
        kill_at: dict[Supervised, list[float]] = defaultdict(list)
        restart_at: dict[Supervised, float] = {}
        for proc in self.processes:
            proc.start()
        deadline = time.monotonic() + self.config.timeout_s
        next_sweep = time.monotonic() + self.config.sweep_every_s
        while True:
            now, done = time.monotonic(), self.progress.count()
            self.engine.reap()  # raises ProcessDied: they never end on their own
            self.clearing.reap()
            worker_exit = self.worker.reap()
            if worker_exit == -signal.SIGKILL:
                self.worker_crashes += 1
            if worker_exit is not None and (done < actions or kill_at[self.worker]):
                downtime = self.rng.uniform(0.05, self.config.max_down_s) if worker_exit else 0
                restart_at[self.worker] = now + downtime
            while plan and plan[0][0] <= done:
                # a random moment a little later, whatever the process is doing then
                kill_at[plan.pop(0)[1]].append(now + self.rng.uniform(0, 0.3))
            for proc, moments in kill_at.items():
                if moments and moments[0] <= now and proc.running:
                    moments.pop(0)
                    proc.kill()
                    restart_at[proc] = now + self.rng.uniform(0.05, self.config.max_down_s)
            for proc, moment in list(restart_at.items()):
                if moment <= now:
                    del restart_at[proc]
                    proc.start()
            if now >= next_sweep:
                do_resend_unacknowledged()
                self.sweeps += 1
                next_sweep = now + self.config.sweep_every_s
            if done >= actions and not plan and not any(kill_at.values()) and not restart_at:
                return
            assert now < deadline, (
                f"chaos did not finish in {self.config.timeout_s:.0f}s: {done} actions, "
                f"{len(plan)} kills to go"
            )
            time.sleep(0.05)

    def wait_cleared(self) -> None:
        """Until clearing's checkpoint reaches the last input entry of every market."""
        deadline = time.monotonic() + self.config.settle_timeout_s
        while True:
            self.engine.reap()
            self.clearing.reap()
            behind = {
                symbol: checkpoint
                for symbol in self.config.symbols
                if parse_entry_id(checkpoint := _checkpoint(symbol))
                < parse_entry_id(last_input_id(get_redis(), symbol))
            }
            if not behind:
                return
            assert time.monotonic() < deadline, f"clearing did not catch up: {behind}"
            time.sleep(0.1)

    def settle(self, max_rounds: int = 10) -> int:
        """Sweep until the engine answered every order and every requested cancel.

        Orders committed right before a worker was killed never reached the
        stream; the sweeper re-sends them. Return the number of sweeps needed.
        """
        for rounds in range(max_rounds):
            self.wait_cleared()
            unanswered = Order.objects.filter(accepted_at__isnull=True)
            cancels = Order.objects.filter(
                status__in=OPEN_STATUSES, cancel_requested_at__isnull=False
            )
            if not unanswered.exists() and not cancels.exists():
                return rounds
            do_resend_unacknowledged(
                older_than=dt.timedelta(0), backoff=dt.timedelta(0), limit=100_000
            )
        raise AssertionError(
            f"still unanswered after {max_rounds} sweeps: orders "
            f"{list(unanswered.values_list('pk', flat=True)[:20])}, "
            f"cancels {list(cancels.values_list('pk', flat=True)[:20])}"
        )

    def stop(self) -> dict[str, int | None]:
        """SIGTERM every process; their exit codes."""
        return {proc.name: proc.stop() for proc in self.processes}

    def engine_resumes_from_snapshot(self) -> Counter[str]:
        """Per market, how many engine lives after the first loaded a snapshot."""
        resumed: Counter[str] = Counter()
        for life in range(2, self.engine.lives + 1):
            for symbol, processed in RESUMED.findall(self.engine.log_path(life).read_text()):
                resumed[symbol] += int(processed) > 0
        return resumed


def _checkpoint(symbol: str) -> str:
    row = Checkpoint.objects.filter(symbol=symbol).values_list("last_entry_id", flat=True)
    return row.first() or "0-0"
