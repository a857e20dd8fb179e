"""The Redis Sentinel failover (tests/matching_client/failover.py) repeated N times.

    .venv/bin/python bench/sentinel_failover.py [--runs 10] [--flow-seconds 12]

Each run starts its own primary, two replicas, a Sentinel and the engine on free
loopback ports, SIGKILLs the primary after 300 acknowledged commands (the client
waits for one replica, ``WAIT 1``) and checks the promoted replica's streams. Prints
one line per run and the totals; exits 1 if any run lost an acknowledged command or
left a gap or a duplicate in the output stream.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.matching_client.failover import FailoverResult, run_failover  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--flow-seconds", type=float, default=12.0)
    args = parser.parse_args()
    results: list[FailoverResult] = []
    out = sys.stdout
    out.write(
        "run  acked  refused  lost  outputs=inputs  engine starts  unavailable s  caught up s\n"
    )
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="failover-") as directory:
            r = run_failover(Path(directory), flow_s=args.flow_seconds)
        results.append(r)
        out.write(
            f"{run:>3}  {r.acknowledged:>5}  {r.refused:>7}  {r.lost:>4}  "
            f"{r.outputs_match!s:>14}  {r.engine_starts:>13}  {r.unavailable_s:>13.2f}  "
            f"{r.caught_up_s:>11.2f}\n"
        )
        out.flush()
    bad = [r for r in results if r.lost or not r.outputs_match or not r.promoted_replica]
    unavailable = [r.unavailable_s for r in results]
    out.write(
        f"{len(results)} runs: {sum(r.acknowledged for r in results)} acknowledged, "
        f"{sum(r.lost for r in results)} lost, {len(bad)} runs with a gap, duplicate or no "
        f"promotion; unavailable median {statistics.median(unavailable):.2f} s, "
        f"worst {max(unavailable):.2f} s\n"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
