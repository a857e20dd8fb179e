"""The bench-size input fuzz: ``tests/api/boundary/test_fuzz.py`` at N requests per surface.

    .venv/bin/python bench/boundary_fuzz.py [--examples 10000] [--timeout 3600]
        [--surfaces rest_v1,binance_v3,fmz,graphql_variables]

The suite runs 1,000 generated requests per surface under pytest's 600 s
per-test timeout; 10,000 on a shared 2-core machine take longer than that for
``/api/v3`` (signed requests, each through the real view). This runs each
surface's fuzz test in its own pytest process with ``BOUNDARY_FUZZ_EXAMPLES``
and its own per-test timeout, and prints a row per surface for
bench/RESULTS.md: requests sent (the test prints them), wall time and the
outcome (a failure is a response >= 500 or a GraphQL ``INTERNAL_ERROR``; the
test's assertion names it). The database and Redis are the environment's
(``DATABASE_URL``/``REDIS_URL``; unset: SQLite and the embedded Redis).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SURFACES = ["rest_v1", "binance_v3", "fmz", "graphql_variables"]


def run_surface(surface: str, examples: int, timeout: int) -> tuple[int, float, str]:
    """(requests sent, seconds, outcome) of one surface's fuzz test."""
    command = [
        str(ROOT / ".venv" / "bin" / "pytest"),
        f"tests/api/boundary/test_fuzz.py::test_{surface}",
        "-q",
        "-s",
        "-p",
        "no:cacheprovider",
        "-o",
        f"timeout={timeout}",
    ]
    env = {**os.environ, "BOUNDARY_FUZZ_EXAMPLES": str(examples)}
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    sent = [int(n) for n in re.findall(r"^(\d+) requests$", done.stdout, re.M)]
    outcome = "passed" if done.returncode == 0 else "FAILED: " + done.stdout[-400:].strip()
    return sum(sent), seconds, outcome


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per surface")
    parser.add_argument("--surfaces", default=",".join(SURFACES))
    args = parser.parse_args()
    print(f"{args.examples} examples per surface, timeout {args.timeout} s each", flush=True)
    print("| surface | requests | wall s | outcome |\n|---|---:|---:|---|", flush=True)
    failed = False
    for surface in args.surfaces.split(","):
        sent, seconds, outcome = run_surface(surface, args.examples, args.timeout)
        failed = failed or outcome != "passed"
        print(f"| {surface} | {sent:,} | {seconds:.0f} | {outcome} |", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
