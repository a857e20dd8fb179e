"""Both book implementations, fed the same generated stream, must agree byte for byte."""

from __future__ import annotations

import os

from matching_engine.book_fast import FastOrderBook
from matching_engine.book_naive import NaiveOrderBook
from matching_engine.market import Market
from tests.matching_engine.support import SYMBOL, Ledger
from tests.matching_engine.workload import generate

COMMANDS = int(os.environ.get("ME_DIFF_COMMANDS", "200000"))
CHECK_EVERY = 1_000


def test_naive_and_fast_books_agree_on_a_long_generated_stream() -> None:
    # given the reference and the fast implementation, and an accounting model
    reference = Market(SYMBOL, NaiveOrderBook())
    fast = Market(SYMBOL, FastOrderBook())
    ledger = Ledger()
    trades_seen = 0

    # when the same generated commands go through both
    for i, command in enumerate(generate(seed=20261121, count=COMMANDS)):
        expected = reference.apply(command)
        actual = fast.apply(command)

        # then every output is identical, funds are conserved, and the states agree
        assert actual == expected, f"command #{i} diverged"
        ledger.observe(command, actual)
        if i % CHECK_EVERY == 0:
            reference.validate_internal_state()
            fast.validate_internal_state()
            assert fast.state_hash() == reference.state_hash(), f"state diverged at #{i}"
            ledger.check_open_orders(fast)
            trades_seen = ledger.trade_seq

    assert fast.state_hash() == reference.state_hash()
    ledger.check_open_orders(fast)
    # the stream really exercised matching (guards against a generator that stopped trading)
    assert trades_seen > COMMANDS // 10
