"""Chaos for every process kind at bench size: tests/exchange/test_chaos_every_process.py
with 100,000 order-entry actions and 50 SIGKILLs (the suite runs ~1,500 and 14), the
world's own Redis (AOF) and PostgreSQL cluster among the processes killed (ADR 0051).

    .venv/bin/python bench/chaos.py [--orders 100000] [--kills 50] [--users 60] [--seed N]

Runs the test through pytest (its fixtures create the world) with DATABASE_URL and
REDIS_URL as given in the environment; the world then moves to a private redis-server
and, on PostgreSQL, to a private cluster, which it kills (the shared servers are never
killed). Prints the seed, the actions, the sweep rounds, every process kind's recovery
times (SIGKILL to caught up: median and worst) and the audit's figures; the exit status is pytest's: 0 means 0 lost, 0 duplicated, 0 balance drift.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/exchange/test_chaos_every_process.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--seed", type=int, help="replay a run")
    args = parser.parse_args()
    env = {
        **os.environ,
        "CHAOS_ORDERS": str(args.orders),
        "CHAOS_KILLS": str(args.kills),
        "CHAOS_USERS": str(args.users),
    }
    if args.seed is not None:
        env["CHAOS_SEED"] = str(args.seed)
    argv = [sys.executable, "-m", "pytest", TEST, "-s", "-p", "no:cacheprovider", "-q"]
    return subprocess.call(argv, cwd=ROOT, env=env)  # noqa: S603 - our own interpreter


if __name__ == "__main__":
    raise SystemExit(main())
