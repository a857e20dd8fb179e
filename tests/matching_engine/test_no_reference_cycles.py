"""The engine process runs without the cyclic GC (ADR 0055): the state machines must
leave no reference cycles behind, or memory would only come back at snapshots.

(A whole book dropped at once is cyclic: its orders link to each other. The engine
drops one only when a failover makes it start again from a snapshot.)"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable, Iterator

import pytest

from matching_engine.futures.engine import MarginGroup
from matching_engine.market import Market
from tests.matching_engine.futures.workload import random_commands
from tests.matching_engine.workload import generate


@pytest.fixture
def collector_off() -> Iterator[Callable[[], int]]:
    """Run the test with the cyclic GC off; the callable collects and counts."""
    gc.collect()
    gc.disable()
    try:
        yield gc.collect
    finally:
        gc.enable()


def test_futures_commands_with_liquidations_and_adl_leave_no_cycles(
    collector_off: Callable[[], int],
) -> None:
    # given margin groups fed random commands (bad ones, stops, liquidations, ADL)
    groups = [MarginGroup("USDT") for _ in range(3)]
    for seed, group in enumerate(groups):
        for blob in random_commands(random.Random(seed), 3000, trailing=seed == 1):
            group.apply(blob)
        group.validate_internal_state()

    # then nothing is left for the cyclic collector
    assert collector_off() == 0


def test_spot_commands_leave_no_cycles(collector_off: Callable[[], int]) -> None:
    # given markets fed random commands, garbage included
    markets = [Market("BTCUSDT") for _ in range(3)]
    for seed, market in enumerate(markets):
        for blob in generate(seed, 5000):
            market.apply(blob)

    # then nothing is left for the cyclic collector
    assert collector_off() == 0
