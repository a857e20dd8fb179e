"""The chaos test's order-entry worker: random orders and cancels through exchange.orders.actions.

    python -m tests.chaos.order_worker --seed 7 --count 5000 --users 3,4,5 --progress FILE

Needs DATABASE_URL and REDIS_URL of the system under test. Every action ends
with one line appended to the progress file, written straight through to the
OS, so a SIGKILL loses at most the line of the action in flight:

    P <order_id> <symbol>   order accepted by entry (committed; PLACE appended after commit)
    K <order_id> <symbol>   order committed, then the worker SIGKILLed itself before the
                            PLACE append (--crash-share): only the sweeper can deliver it
    p <code>                order rejected by entry (a DomainError)
    C <order_id> <symbol>   cancel requested and sent
    c <code>                cancel rejected by entry
    A <symbol> <n>          cancel-all requested for n open orders
    e <error>               with --outages, the database or Redis was down (a client's
                            5xx): nothing acknowledged; an order committed before the
                            error is the sweeper's, as after any lost answer

With --futures-share, that share of the actions are futures orders, cancels and
transfers instead (tests/chaos/futures_entry.py lists their lines).
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import django
import redis
from django.db import InterfaceError, OperationalError, connection

T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--count", type=int, required=True, help="actions to perform")
    parser.add_argument("--users", required=True, help="comma-separated user ids")
    parser.add_argument("--progress", required=True, help="file to append one line per action")
    parser.add_argument(
        "--crash-share",
        type=float,
        default=0.0,
        help="share of orders after whose commit the worker SIGKILLs itself before the append",
    )
    parser.add_argument("--futures-share", type=float, default=0.0, help="share of futures actions")
    parser.add_argument(
        "--outages",
        action="store_true",
        help="the servers are killed too: an action that cannot reach them is an error line",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
    django.setup()
    from tests.chaos.entry import Worker  # models import only after setup
    from tests.chaos.futures_entry import FuturesWorker

    rng = random.Random(args.seed)
    users = [int(u) for u in args.users.split(",")]
    with open(args.progress, "a", buffering=1) as progress:
        worker = set_up(
            lambda: Worker(rng, users, progress=progress, crash_share=args.crash_share),
            outages=args.outages,
        )
        futures = set_up(lambda: FuturesWorker(rng, users), outages=args.outages)
        for _ in range(args.count):
            act = (
                futures.act
                if args.futures_share and rng.random() < args.futures_share
                else worker.act
            )
            progress.write((attempt(act) if args.outages else act()) + "\n")
    return 0


def set_up(make: Callable[[], T], *, outages: bool) -> T:
    """The worker's set-up queries; with --outages retried while the database is down
    (a worker restarted while PostgreSQL is still starting up waits for it)."""
    while True:
        try:
            return make()
        except (OperationalError, InterfaceError):
            if not outages:
                raise
            connection.close()
            time.sleep(0.2)


def attempt(act: Callable[[], str]) -> str:
    """One action; while a server is down, its error line after a pause, as a client
    that got a 5xx waits and carries on."""
    try:
        return act()
    except (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError) as exc:
        connection.close()  # the server dropped the session: the next action opens a new one
        time.sleep(0.2)
        return f"e {type(exc).__name__}"


if __name__ == "__main__":
    raise SystemExit(main())
