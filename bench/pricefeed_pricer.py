"""CPU cost of pricing one contract for one second (index, premium, basis, mark), in process.

    .venv/bin/python bench/pricefeed_pricer.py [--levels 10,1000,10000] [--rounds 2000]

The feed prices every contract once a second in one thread; this is the part that
grows with the contract's book (impact prices walk it, best first). No Redis, no
database: the step's I/O (one pipeline of MARK_PRICE appends, one bar upsert) is
per step, not per level. Prints microseconds per contract per second at each depth.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")

import django  # noqa: E402

django.setup()

from exchange.pricefeed.contracts import FeedContract  # noqa: E402
from exchange.pricefeed.formulas import Quote, index_price  # noqa: E402
from exchange.pricefeed.futures_book import ContractBook  # noqa: E402
from exchange.pricefeed.pricer import ContractPricer  # noqa: E402

CONTRACT = FeedContract(
    symbol="BTCUSDT",
    group="USDT",
    engine_id=1,
    tick_size=Decimal("0.1"),
    step_size=Decimal("0.001"),
    index_symbol=None,
    funding_interval_seconds=8 * 3600,
    interest_rate=Decimal("0.0001"),
    funding_cap=Decimal("0.0075"),
    max_leverage=125,
)


def book(levels: int) -> ContractBook:
    """``levels`` per side around 60,000, 0.01 BTC each: the impact notional walks ~40."""
    b = ContractBook(last_price=600_000)
    for i in range(levels):
        b.bids[599_990 - i] = 10
        b.asks[600_010 + i] = 10
    return b


def run(levels: int, rounds: int) -> float:
    pricer = ContractPricer(CONTRACT, interval_ms=8 * 3_600_000, sample_ms=60_000, now_ms=0)
    quotes = [Quote(f"s{i}", Decimal(60_000 + i), Decimal(1), 0) for i in range(3)]
    b = book(levels)
    times = []
    for n in range(rounds):
        started = time.perf_counter()
        pricer.price(n * 1000, index_price(quotes) or Decimal(0), b)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="10,1000,10000")
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    for levels in (int(x) for x in args.levels.split(",")):
        sys.stdout.write(
            f"{levels:>6} levels per side: {run(levels, args.rounds):8.1f} us median\n"
        )


if __name__ == "__main__":
    main()
