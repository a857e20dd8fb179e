"""Replay a generated stream through whichever core this interpreter loads; print digests.

    MATCHING_ENGINE_PURE=1 python -m tests.matching_engine.core_replay --commands 50000

Run once per core by `test_engine_cores.py`: one JSON line with the loaded core, the
state hash every `--every` commands (fast and naive books), a digest of every output
and of the final snapshot. The two cores must print the same digests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random

import msgpack

import matching_engine
from matching_engine.book_fast import FastOrderBook
from matching_engine.book_naive import NaiveOrderBook
from matching_engine.futures.engine import MarginGroup
from matching_engine.market import Market
from matching_engine.native import COMPILED, is_compiled
from tests.matching_engine.futures.workload import random_commands
from tests.matching_engine.support import SYMBOL
from tests.matching_engine.workload import generate


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--commands", type=int, default=50_000)
    p.add_argument("--every", type=int, default=1_000)
    p.add_argument("--seed", type=int, default=20261206)
    args = p.parse_args()
    markets = [Market(SYMBOL, FastOrderBook()), Market(SYMBOL, NaiveOrderBook())]
    outputs = [hashlib.sha256(), hashlib.sha256()]
    hashes: list[list[str]] = []
    for i, command in enumerate(generate(seed=args.seed, count=args.commands)):
        for market, digest in zip(markets, outputs, strict=True):
            digest.update(market.apply(command))
        if i % args.every == 0:
            for market in markets:
                market.validate_internal_state()
            hashes.append([m.state_hash() for m in markets])
    snapshots = [hashlib.sha256(msgpack.packb(m.to_snapshot())).hexdigest() for m in markets]
    # The futures margin group on both books: its own random stream (docs/futures.md).
    groups = [MarginGroup("USDT", FastOrderBook), MarginGroup("USDT", NaiveOrderBook)]
    futures = [hashlib.sha256(), hashlib.sha256()]
    for blob in random_commands(random.Random(args.seed), args.commands // 10):
        for group, digest in zip(groups, futures, strict=True):
            digest.update(group.apply(blob))
    for group in groups:
        group.validate_internal_state()
    print(  # noqa: T201 - the parent test reads this line
        json.dumps(
            {
                "core": matching_engine.CORE,
                "compiled": [n for n in COMPILED if is_compiled(f"matching_engine.{n}")],
                "futures_outputs": [d.hexdigest() for d in futures],
                "futures_states": [g.state_hash() for g in groups],
                "state_hashes": hashes,
                "outputs": [d.hexdigest() for d in outputs],
                "snapshots": snapshots,
            }
        )
    )


if __name__ == "__main__":
    main()
