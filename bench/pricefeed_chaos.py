"""Price-feed chaos at bench size: tests/exchange/futures/test_pricefeed_chaos.py with 30
rounds of liquidating falls (the suite runs 4), each with a SIGKILL of ``runpricefeed``
just before or just after the mark that liquidates, the engine killed with it every
fourth round, clearing every other round, and random kills of all three in between.

    .venv/bin/python bench/pricefeed_chaos.py [--rounds 30] [--seed N]

Runs the test through pytest (its fixtures create the world) with DATABASE_URL and
REDIS_URL as given in the environment. Prints the seed, the kills per process, the
liquidations counted (accounts, liquidation orders, ForcedOrder rows; within a second
of a feed kill; by a restarted feed's first mark), the fundings, the stale window, the
duration and the load average; the exit status is pytest's: 0 means the engine's
answers byte-identical to a replay, the database equal to the engine, reconcile
clean, and no mark, funding or liquidation from a stale index.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/exchange/futures/test_pricefeed_chaos.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, help="replay a run")
    args = parser.parse_args()
    env = {**os.environ, "CHAOS_FEED_ROUNDS": str(args.rounds)}
    if args.seed is not None:
        env["CHAOS_SEED"] = str(args.seed)
    argv = [sys.executable, "-m", "pytest", TEST, "-s", "-p", "no:cacheprovider", "-q"]
    return subprocess.call(argv, cwd=ROOT, env=env)  # noqa: S603 - our own interpreter


if __name__ == "__main__":
    raise SystemExit(main())
