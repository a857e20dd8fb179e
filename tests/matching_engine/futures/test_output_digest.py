"""The futures engine's output bytes, pinned: speed work must not change the wire.

The digest covers every output of fixed random workloads (bad input, conditional and
trailing orders, liquidations, the insurance fund, ADL). It was taken on 7842266, before
ADR 0055, and holds on both cores. Change it only with an intended change of the
protocol, documented in docs/matching-protocol.md.
"""

from __future__ import annotations

import hashlib
import random

from matching_engine.futures.engine import MarginGroup
from tests.matching_engine.futures.workload import random_commands

DIGEST = "57775d0866fcf437909ed73c74259ca06335a6987c8f27cf976b1f7f7ed55fd9"


def _digest() -> str:
    h = hashlib.sha256()
    for seed in range(4):
        group = MarginGroup("USDT")
        for blob in random_commands(random.Random(seed), 3000, trailing=seed % 2 == 1):
            out = group.apply(blob)
            h.update(len(out).to_bytes(4, "big"))
            h.update(out)
        h.update(group.state_hash().encode())
    return h.hexdigest()


def test_outputs_of_fixed_workloads_are_byte_for_byte_what_they_were() -> None:
    assert _digest() == DIGEST
