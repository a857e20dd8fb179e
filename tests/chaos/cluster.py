"""Chaos for every process kind (issue 19 item 6): the whole platform as ``make run`` starts
it, each process SIGKILLed at random moments and restarted as the supervisor would.

The processes: a spot engine leader and its hot standby (``--standby``: the lease
decides who writes), the futures engine, spot clearing, futures clearing, market data,
the price feed, a Celery worker and beat (the order and futures sweepers run there),
the web process (daphne) and the order-entry worker (spot and futures orders,
cancels, transfers); and the servers under them, the world's own Redis and (on
PostgreSQL) its own PostgreSQL cluster (tests/chaos/servers.py). Runs in the test
process against its database; the processes get its DATABASE_URL and REDIS_URL.

Every kill is timed: ``restarted`` after a random pause, ``recovered`` once the process
(or, for an engine or clearing, the stream it serves) has caught up with what was
waiting when it died: the input stream for an engine, the output stream for clearing,
its start-up log line for the others. Redis has recovered once every engine answered,
and every clearing cleared, the input that was waiting when it died; PostgreSQL once
every clearing checkpoint reached the output the engines wrote while it was down.
One failure at a time: a server is killed only while no process waits for its restart
(one still booting meets the outage), and a process only once the servers run and
have recovered from their last kill (the test harness itself reads both, and each
server's recovery time is then its own).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import redis
from django.conf import settings
from django.db import DatabaseError, connection

from exchange.clearing.futures.runner import checkpoint_key
from exchange.clearing.models import Checkpoint
from exchange.core.redis import get_redis
from exchange.futures.models import FuturesOrder, FuturesTransfer, TransferStatus
from exchange.futures.services import resend_pending
from exchange.orders.actions import do_resend_unacknowledged
from exchange.orders.models import OPEN_STATUSES, Order
from matching_client import parse_entry_id
from matching_engine.protocol import output_stream
from tests.chaos.processes import Supervised
from tests.chaos.progress import Progress
from tests.pipeline import last_input_id

GROUP = "USDT"  # the futures margin group


@dataclass(frozen=True)
class ClusterConfig:
    actions: int  # order-entry actions (spot and futures), over all the worker's lives
    kills: int  # SIGKILLs in all, spread over every process kind (each at least once)
    symbols: tuple[str, ...]
    user_ids: tuple[int, ...]
    database_url: str
    web_port: int
    snapshot_every: int = 200
    futures_share: float = 0.3
    max_down_s: float = 1.5
    timeout_s: float = 900.0
    settle_timeout_s: float = 300.0


@dataclass
class Kill:
    process: str
    at_action: int
    killed: float
    restarted: float = 0.0
    recovered: float = 0.0
    waiting: dict[str, str] = field(default_factory=dict)  # stream -> last entry at the kill

    @property
    def recovery_s(self) -> float:
        return self.recovered - self.killed if self.recovered else float("nan")


class ClusterRun:
    """Starts every process, kills them by plan, restarts them, and times each recovery."""

    def __init__(
        self,
        config: ClusterConfig,
        *,
        seed: int,
        workdir: Path,
        servers: Sequence[Supervised] = (),
    ) -> None:
        self.config = config
        self.servers = list(servers)  # started and stopped by their owner, killed here
        self.rng = random.Random(seed)
        self.progress = Progress(workdir)
        self.kills: list[Kill] = []
        env = {
            **os.environ,
            "DATABASE_URL": config.database_url,
            "REDIS_URL": settings.REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "exchange.settings",
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "INFO",
            # the audit replays whole streams: beat's trimmer must leave them whole
            "STREAM_TRIM_EVERY_SECONDS": "1000000",
        }
        python, manage = sys.executable, [sys.executable, "manage.py"]
        engine = [*(python, "-m", "matching_engine", "--redis", settings.REDIS_URL)]
        engine += ["--block-ms", "5", "--snapshot-every", str(config.snapshot_every)]
        spot_engine = [*engine, "--markets", ",".join(config.symbols), "--standby"]

        def proc(name: str, argv: list[str], ready: str) -> Supervised:
            return Supervised(name, lambda life: argv, env=env, log_dir=workdir, ready_line=ready)

        self.processes = [
            proc("engine-a", spot_engine, "resuming after"),
            proc("engine-b", spot_engine, "resuming after"),
            proc("futures-engine", [*engine, "--margin-groups", GROUP], "resuming after"),
            proc("clearing", [*manage, "runclearing", "--futures", "no"], "exchange.clearing"),
            proc(
                "futures-clearing",
                [*manage, "runclearing", "--futures", "only"],
                "clearing futures:",
            ),
            proc("marketdata", [*manage, "runmarketdata"], "market data for"),
            proc(
                "pricefeed",
                # an index older than a market-data restart takes on two busy cores
                [*manage, "runpricefeed", "--funding-interval-seconds", "5"]
                + ["--max-index-age-seconds", "60"],
                "price feed started",
            ),
            proc(
                "celery-worker",
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "exchange",
                    "worker",
                    "--concurrency=1",
                    "-P",
                    "solo",
                    "--loglevel=INFO",
                ],
                "ready.",
            ),
            proc(
                "celery-beat",
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "exchange",
                    "beat",
                    "--loglevel=INFO",
                    f"--schedule={workdir / 'celerybeat-schedule'}",
                ],
                "beat: Starting",
            ),
            proc(
                "web",
                [
                    python,
                    "-m",
                    "daphne",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(config.web_port),
                    "exchange.asgi:application",
                ],
                "Listening on TCP address",
            ),
        ]
        self.worker = Supervised(
            "order-worker",
            self._worker_argv,
            env=env,
            log_dir=workdir,
            allowed_exits=(0,),
        )
        self.by_name = {p.name: p for p in [*self.servers, *self.processes, self.worker]}

    def _worker_argv(self, life: int) -> list[str]:
        return [
            *(sys.executable, "-m", "tests.chaos.order_worker"),
            *("--seed", str(self.rng.randrange(2**31))),
            *("--count", str(max(self.config.actions - self.progress.count(), 1))),
            *("--users", ",".join(map(str, self.config.user_ids))),
            *("--progress", str(self.progress.path(life))),
            *("--futures-share", str(self.config.futures_share)),
            *(["--outages"] if self.servers else []),
        ]

    # --- the plan ---------------------------------------------------------------------

    def kill_plan(self) -> list[tuple[int, str]]:
        """(action count, process) for config.kills kills: every kind once, the rest drawn."""
        kinds = list(self.by_name)
        names = kinds + [self.rng.choice(kinds) for _ in range(self.config.kills - len(kinds))]
        plan = [(int(self.rng.uniform(0.02, 0.95) * self.config.actions), n) for n in names]
        return sorted(plan)

    def _waiting(self, name: str) -> dict[str, str]:
        """What the process must get through to count as recovered."""
        client = get_redis()
        clearing = {s: _last_output_id(s) for s in self.config.symbols}
        futures_clearing = {checkpoint_key(GROUP): _last_output_id(GROUP)}
        if name == "redis":
            return {s: last_input_id(client, s) for s in (*self.config.symbols, GROUP)}
        if name == "postgres":
            return clearing | futures_clearing
        if name.startswith("engine-"):
            return {s: last_input_id(client, s) for s in self.config.symbols}
        if name == "futures-engine":
            return {GROUP: last_input_id(client, GROUP)}
        if name == "clearing":
            return clearing
        if name == "futures-clearing":
            return futures_clearing
        return {}

    def _caught_up(self, kill: Kill) -> bool:
        """Recovered yet; False while the harness's own reads fail (a server is down)."""
        try:
            return self._check_caught_up(kill)
        except (redis.ConnectionError, redis.TimeoutError, DatabaseError):
            connection.close()  # a session the server dropped: the next read opens a new one
            return False

    def _check_caught_up(self, kill: Kill) -> bool:
        proc = self.by_name[kill.process]
        if kill.process == "redis":
            answered = all(_newer_or_equal(_last_output_id(s), i) for s, i in kill.waiting.items())
            keys = {(checkpoint_key(s) if s == GROUP else s): i for s, i in kill.waiting.items()}
            return answered and all(_newer_or_equal(_checkpoint(k), i) for k, i in keys.items())
        if kill.process.startswith("engine-") or kill.process == "futures-engine":
            # the standby (or the restarted engine) answered what was waiting
            return all(_newer_or_equal(_last_output_id(s), i) for s, i in kill.waiting.items())
        if kill.waiting:
            return all(_newer_or_equal(_checkpoint(k), i) for k, i in kill.waiting.items())
        return proc.ready()

    # --- the run ----------------------------------------------------------------------

    def run(self) -> None:
        """Until the worker completed its actions and every planned kill recovered."""
        plan, due, restart_at = self.kill_plan(), [], {}
        servers = set(self.servers)
        for proc in self.processes:
            proc.start()
        deadline = time.monotonic() + self.config.timeout_s
        while not all(proc.ready() for proc in self.processes):  # then the flow starts
            for proc in self.processes:
                proc.reap()
            assert time.monotonic() < deadline, "the processes did not start"
            time.sleep(0.1)
        self.worker.start()
        while True:
            now, done = time.monotonic(), self.progress.count()
            for proc in [*self.servers, *self.processes]:
                proc.reap()  # raises ProcessDied: they never end on their own
            if self.worker.reap() is not None and done < self.config.actions:
                self.worker.start()  # a kill cut its last line: it does what is left
            while plan and plan[0][0] <= done:
                at_action, name = plan.pop(0)
                due.append((at_action, name, now + self.rng.uniform(0, 0.3)))
            for item in list(due):
                at_action, name, moment = item
                proc = self.by_name[name]
                if proc is self.worker and done >= self.config.actions:
                    due.remove(item)  # it finished first: nothing left to kill
                    continue
                # a kill during Django's start-up tests nothing: it has not read a stream
                down = restart_at.keys() | {s for s in self.servers if not s.ready()}
                down |= {self.by_name[k.process] for k in self.kills if not k.recovered} & servers
                alone = not down if proc in servers else not down & servers
                if moment <= now and proc.ready() and proc not in restart_at and alone:
                    due.remove(item)
                    waiting = self._waiting(name)
                    proc.kill()
                    self.kills.append(Kill(name, at_action, now, waiting=waiting))
                    restart_at[proc] = now + self.rng.uniform(0.05, self.config.max_down_s)
            for proc, moment in list(restart_at.items()):
                if moment <= now:
                    del restart_at[proc]
                    proc.start()
                    for kill in self.kills:
                        if kill.process == proc.name and not kill.restarted:
                            kill.restarted = time.monotonic()
                            if proc.name == "postgres":  # what the engines wrote meanwhile
                                kill.waiting = self._waiting(proc.name)
            for kill in self.kills:
                if kill.restarted and not kill.recovered and self._caught_up(kill):
                    kill.recovered = time.monotonic()
            finished = done >= self.config.actions and not plan and not due and not restart_at
            if finished and all(k.recovered for k in self.kills):
                return
            assert now < deadline, (
                f"chaos did not finish in {self.config.timeout_s:.0f}s: {done} actions, "
                f"{len(plan) + len(due)} kills to go, "
                f"unrecovered {[k.process for k in self.kills if not k.recovered]}"
            )
            time.sleep(0.05)

    def settle(self, max_rounds: int = 10) -> int:
        """Sweep until the engines answered every order, cancel and transfer and clearing
        applied every answer; the number of sweep rounds needed."""
        self.worker.stop()
        for rounds in range(max_rounds):
            self._wait_cleared()
            spot_unanswered = Order.objects.filter(accepted_at__isnull=True).exists() or (
                Order.objects.filter(
                    status__in=OPEN_STATUSES, cancel_requested_at__isnull=False
                ).exists()
            )
            futures_unanswered = FuturesOrder.objects.filter(accepted=False).exists() or (
                FuturesTransfer.objects.filter(status=TransferStatus.PENDING).exists()
            )
            if not spot_unanswered and not futures_unanswered:
                return rounds
            do_resend_unacknowledged(
                older_than=dt.timedelta(0), backoff=dt.timedelta(0), limit=100_000
            )
            resend_pending(older_than=dt.timedelta(0))
        raise AssertionError(f"orders, cancels or transfers unanswered after {max_rounds} sweeps")

    def _wait_cleared(self) -> None:
        deadline = time.monotonic() + self.config.settle_timeout_s
        client = get_redis()
        keys = {s: s for s in self.config.symbols} | {checkpoint_key(GROUP): GROUP}
        while True:
            for proc in [*self.servers, *self.processes]:
                proc.reap()
            behind = {
                key: _checkpoint(key)
                for key, stream in keys.items()
                if not _newer_or_equal(_checkpoint(key), last_input_id(client, stream))
            }
            if not behind:
                return
            assert time.monotonic() < deadline, f"clearing did not catch up: {behind}"
            time.sleep(0.1)

    def stop(self) -> dict[str, int | None]:
        """SIGTERM every process (not the servers: the audit reads them); their exit codes."""
        return {p.name: p.stop() for p in [self.worker, *reversed(self.processes)]}

    def recovery_table(self) -> list[tuple[str, int, float, float]]:
        """Per process kind: kills, median and worst seconds from SIGKILL to recovered."""
        rows = []
        for name in self.by_name:
            times = sorted(k.recovery_s for k in self.kills if k.process == name)
            if times:
                rows.append((name, len(times), times[len(times) // 2], times[-1]))
        return rows


def _last_output_id(stream: str) -> str:
    newest = get_redis().xrevrange(output_stream(stream), count=1)
    return newest[0][0].decode() if newest else "0-0"


def _checkpoint(key: str) -> str:
    row = Checkpoint.objects.filter(symbol=key).values_list("last_entry_id", flat=True)
    return row.first() or "0-0"


def _newer_or_equal(entry_id: str, than: str) -> bool:
    return parse_entry_id(entry_id) >= parse_entry_id(than)
