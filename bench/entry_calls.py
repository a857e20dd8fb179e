"""Client-side cost of one order through order entry, counted so that load does not matter.

    .venv/bin/python bench/entry_calls.py [--tree PATH] [--orders 500] [--rounds 3]
        [--database exchange_bench_entry] [--callgrind]

Places LIMIT orders in process (``OrderRequest.parse`` + ``do_place_order``, what every
surface runs per order) against PostgreSQL and a private redis-server, and prints:

* CPU ms per order (``process_time``) for each round: on a shared, loaded machine this
  moves by ±30 % from round to round;
* Python function calls per order (cProfile's call counts): deterministic for a given
  tree, so two trees compare exactly on one machine whatever its load. A time-based
  cache that expires (the market cache) adds fractional calls per order, more on a
  slow run; read the figure to ±3 %.

``--tree`` runs another checkout's code (``git archive <commit> | tar -x -C DIR``) with
this virtualenv, so before and after compare in one sitting. With ``--callgrind`` the
process must run under ``valgrind --tool=callgrind --instr-atstart=no``; it turns
instrumentation on for the measured orders only (instructions per order, printed by
valgrind as "Collected", over ``100 + orders`` orders).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", default=str(ROOT), help="checkout whose code runs")
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default="exchange_bench_entry")
    parser.add_argument("--callgrind", action="store_true")
    args = parser.parse_args()
    tree = Path(args.tree).resolve()
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    spec = importlib.util.spec_from_file_location("pipeline", tree / "bench" / "pipeline.py")
    assert spec is not None and spec.loader is not None
    pipeline = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pipeline)
    from tests.matching_engine.servers import RedisServer

    db_url = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp) / "redis", appendfsync="everysec")
        redis.start()
        try:
            pipeline.recreate_database(db_url)
            pipeline.setup_django(db_url, redis.url)
            pipeline.seed(1)
            measure(args)
        finally:
            redis.stop()


def measure(args: argparse.Namespace) -> None:
    from exchange.accounts.models import User
    from exchange.orders.actions import do_place_order
    from exchange.orders.requests import OrderRequest

    user = User.objects.get(email="bench-000@example.com")

    def place(count: int) -> None:
        for _ in range(count):
            request = OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="100.00", quantity="0.00001"
            )
            do_place_order(user=user, request=request)

    place(200)  # caches, prepared statements, connections
    if args.callgrind:
        control = ["callgrind_control", "-i"]
        subprocess.run([*control, "on", str(os.getpid())], check=True, capture_output=True)
        place(100 + args.orders)
        subprocess.run([*control, "off", str(os.getpid())], check=True, capture_output=True)
        print(f"instrumented {100 + args.orders} orders: divide valgrind's Collected by that")
        return
    print(f"tree {args.tree}, {args.orders} orders per round, load {os.getloadavg()[0]:.1f}")
    for index in range(args.rounds):
        started = time.process_time()
        place(args.orders)
        ms = (time.process_time() - started) * 1000 / args.orders
        print(f"| round {index + 1} | {ms:.3f} CPU ms/order |")
    profile = cProfile.Profile()
    profile.enable()
    place(args.orders)
    profile.disable()
    calls = sum(row[1] for row in pstats.Stats(profile).stats.values())  # type: ignore[attr-defined]
    print(f"| Python calls per order | {calls / args.orders:.1f} |")


if __name__ == "__main__":
    main()
