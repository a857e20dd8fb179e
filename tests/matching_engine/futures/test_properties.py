"""Invariants over random command streams, on both book implementations.

After every command: money is conserved (wallets + unrealized PnL + insurance fund +
fees = deposits - withdrawals), longs equal shorts, no account is below maintenance
margin (liquidation happened first) and none has negative equity. The fast and the
naive book give byte-identical output, and snapshot + replay equals a continuous run.
"""

from __future__ import annotations

import random

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st

from matching_engine.book_fast import FastOrderBook
from matching_engine.book_naive import NaiveOrderBook
from matching_engine.futures.contract import Contract
from matching_engine.futures.engine import MarginGroup
from matching_engine.futures.protocol import RATE_SCALE, BalanceReason, FuturesEvent
from tests.matching_engine.futures.support import BRACKETS
from tests.matching_engine.futures.workload import random_commands

SEEDS = st.integers(min_value=0, max_value=2**32)


def run(blobs: list[bytes], group: MarginGroup) -> list[bytes]:
    outputs = []
    for blob in blobs:
        outputs.append(group.apply(blob))
        group.validate_internal_state()
        for acct in group.accounts.values():
            assert group.equity(acct) >= 0, acct.user
    return outputs


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS)
def test_invariants_hold_after_every_command_and_books_agree(seed: int) -> None:
    blobs = random_commands(random.Random(seed), 400, trailing=seed % 2 == 0)
    fast = run(blobs, MarginGroup("USDT", FastOrderBook))
    naive = run(blobs, MarginGroup("USDT", NaiveOrderBook))
    assert fast == naive


def test_a_counterparty_deleveraged_past_its_own_bankruptcy_is_cleared_by_the_fund() -> None:
    """Seed 1506: a gap makes the bankruptcy price worse than a short's own; ADL leaves
    it flat below zero and the fund must clear it (it used to stay negative)."""
    blobs = random_commands(random.Random(1506), 400)
    events = [
        e for out in run(blobs, MarginGroup("USDT", FastOrderBook)) for e in msgpack.unpackb(out)[5]
    ]
    deleveraged = {e[5] for e in events if e[0] == FuturesEvent.ADL}
    cleared = {
        e[1]
        for e in events
        if e[0] == FuturesEvent.BALANCE and e[4] == BalanceReason.INSURANCE_CLEAR
    }
    assert deleveraged & cleared, "no deleveraged counterparty was cleared by the fund"


def test_the_workload_reaches_liquidation_insurance_and_adl() -> None:
    seen: set[int] = set()
    for seed in range(20):
        group = MarginGroup("USDT")
        for out in run(random_commands(random.Random(seed), 400), group):
            seen.update(e[0] for e in msgpack.unpackb(out)[5])
    assert {FuturesEvent.LIQUIDATION, FuturesEvent.ADL, FuturesEvent.INSURANCE} <= seen
    assert {FuturesEvent.FUNDING, FuturesEvent.TRADE} <= seen
    assert {FuturesEvent.STOP_TRIGGERED, FuturesEvent.ISOLATED_MARGIN} <= seen


@settings(max_examples=40, deadline=None)
@given(seed=SEEDS, cut=st.integers(min_value=0, max_value=300))
def test_snapshot_plus_replay_equals_a_continuous_run(seed: int, cut: int) -> None:
    blobs = random_commands(random.Random(seed), 300, trailing=True)
    continuous = MarginGroup("USDT")
    expected = [continuous.apply(b) for b in blobs]
    first = MarginGroup("USDT")
    head = [first.apply(b) for b in blobs[:cut]]
    blob = msgpack.packb(first.to_snapshot())
    restored = MarginGroup.from_snapshot(msgpack.unpackb(blob, strict_map_key=False))
    assert restored.state_hash() == first.state_hash()
    tail = [restored.apply(b) for b in blobs[cut:]]
    assert head + tail == expected
    assert restored.state_hash() == continuous.state_hash()


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(min_value=-5_000_000, max_value=5_000_000).filter(bool),
    entry=st.integers(min_value=1, max_value=2_000_000),
    wallet=st.integers(min_value=-(10**11), max_value=10**12),
)
def test_liquidation_price_is_exactly_where_maintenance_is_breached(
    size: int, entry: int, wallet: int
) -> None:
    contract = Contract.build(1, "BTCUSDT", 100, 0, 0, 0, 0, 0, [list(b) for b in BRACKETS], 1)
    assert contract is not None
    cost = size * entry * 100

    def unhealthy(mark: int) -> bool:
        equity = wallet + size * mark * 100 - cost
        return RATE_SCALE * equity < contract.maintenance_scaled(abs(size) * mark * 100)

    p = contract.liquidation_price(size, cost, wallet)
    if size > 0:  # liquidated iff mark <= p
        assert p < 1 or unhealthy(p)
        assert not unhealthy(max(p + 1, 1))
    else:  # liquidated iff mark >= p
        assert unhealthy(max(p, 1))
        assert p <= 1 or not unhealthy(p - 1)


def test_a_version_1_snapshot_still_loads() -> None:
    # given a group with cross positions only and no conditional orders, snapshotted in
    # the version 1 layout (4 fields per position, no pending-order list)
    blobs = [
        b
        for b in random_commands(random.Random(7), 300)
        if msgpack.unpackb(b)[1] not in (26, 27) and len(msgpack.unpackb(b)) != 15
    ]
    group = MarginGroup("USDT")
    for b in blobs:
        group.apply(b)
    state = group.to_snapshot()["state"]
    assert state[-1] == []
    accounts = [[u, w, [p[:4] for p in ps]] for u, w, ps in state[-2]]
    v1 = {"v": 1, "state": [*state[:-2], accounts]}
    # when it is loaded
    restored = MarginGroup.from_snapshot(msgpack.unpackb(msgpack.packb(v1)))
    # then it is the same group
    assert restored.state_hash() == group.state_hash()
