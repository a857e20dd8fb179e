"""A Redis primary dies under a steady command flow; Sentinel promotes a replica.

The scenario is tests/matching_client/failover.py (bench/sentinel_failover.py repeats
it): after the failover every command the client was told is sent is in the new
primary's input stream, each has exactly one output entry with its ID, and the engine
carried on without a restart.
"""

from __future__ import annotations

from pathlib import Path

from tests.matching_client.failover import KILL_AFTER, run_failover


def test_orders_acknowledged_with_wait_survive_a_sentinel_failover(tmp_path: Path) -> None:
    result = run_failover(tmp_path)
    assert result.promoted_replica
    assert result.lost == 0, "an acknowledged command was lost"
    assert result.outputs_match, f"the output stream has a gap or an extra entry: {result}"
    assert result.acknowledged > KILL_AFTER and result.refused >= 1
    assert result.engine_starts == 1
