"""The bench size of the retry fault test: web processes SIGKILLed under retrying clients.

Runs tests/exchange/orders/test_retry_fault.py with ``RETRY_FAULT_ORDERS`` (10,000 by
default; the suite runs 1,000) and prints its summary line (orders, rows, duplicates,
kills, client failures, retries answered with the first order), the wall time and the
load average. Uses REDIS_URL / DATABASE_URL like the tests (PostgreSQL for a real run);
pytest's per-test timeout (600 s) is off: 10,000 orders take longer on a loaded machine.

    .venv/bin/python bench/retry_fault.py --orders 10000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args()
    started = time.monotonic()
    load_before = os.getloadavg()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "--timeout=0",
         "tests/exchange/orders/test_retry_fault.py"],
        cwd=ROOT,
        env={**os.environ, "RETRY_FAULT_ORDERS": str(args.orders)},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    summary = [line for line in run.stdout.splitlines() if line.startswith("retry fault:")]
    print("\n".join(summary) or run.stdout[-3000:])  # noqa: T201
    print(  # noqa: T201
        f"passed: {run.returncode == 0}; wall {elapsed:.0f} s; "
        f"load before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}"
    )
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
