"""In-process benchmark of the matching core (no Redis), exchange-core style.

    .venv/bin/python bench/engine_core.py [--commands 1000000] [--users 10000] [--seed 1]

Workload (generated up front against a model book, so cancels hit open orders): one
market, thousands of users, hundreds of price levels around a slowly moving mid;
GTC limits (some crossing), IOC limits, market orders, cancels, a few FOK and
post-only orders. Reports:

* throughput of `Market.process` on decoded commands (the matching core) and of
  `Market.apply` on msgpack blobs (core + decode + encode, what the engine process runs),
* per-command latency percentiles (timed one by one in a separate pass),
* memory per resting order (tracemalloc, with the dedupe window's share).
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import sys
import time
import tracemalloc
from typing import Any

import msgpack

from matching_engine.market import Market
from matching_engine.protocol import (
    CommandType,
    EventType,
    OrderType,
    ResultCode,
    TimeInForce,
    encode_cancel,
    encode_market_create,
    encode_place,
)

SYMBOL = "BENCH"


def generate(
    count: int, users: int, book_orders: int, seed: int, symbol: str = SYMBOL
) -> tuple[list[bytes], int]:
    """Return encoded commands and how many of them only fill the book (not timed).

    A model market tracks which orders are open, so that cancels hit open orders and the
    book hovers around `book_orders` resting orders.
    """
    rng = random.Random(seed)
    model = Market(symbol)
    commands = [encode_market_create(symbol=symbol)]
    model.apply(commands[0])
    open_orders: list[tuple[int, int]] = []
    position: dict[int, int] = {}
    mid = 100_000
    next_id = 1

    def forget(order_id: int) -> None:
        i = position.pop(order_id, None)
        if i is None:
            return
        last = open_orders.pop()
        if i < len(open_orders):
            open_orders[i] = last
            position[last[0]] = i

    prefill = 0
    while len(commands) - prefill <= count:
        filling = len(open_orders) < book_orders and prefill == len(commands) - 1
        if filling:
            prefill += 1
        if rng.random() < 0.01:
            mid += rng.randint(-3, 3)
        r = rng.random()
        user = rng.randint(1, users)
        side = rng.randint(0, 1)
        cancel_share = 0.0 if filling else 0.40 * min(1.0, len(open_orders) / book_orders)
        if r < cancel_share and open_orders:
            order_id, owner = open_orders[rng.randrange(len(open_orders))]
            blob = encode_cancel(order_id=order_id, user_id=owner)
        else:
            order_id = next_id
            next_id += 1
            qty = rng.randint(1, 100)
            if r < 0.90:
                # Mostly passive, some crossing: hundreds of levels on each side.
                offset = int(rng.expovariate(1 / 60)) - 8
                price = mid - offset if side == 0 else mid + offset
                tif = TimeInForce.GTC if r < 0.78 else (TimeInForce.IOC if r < 0.88 else 2)
                order_type = OrderType.LIMIT_MAKER if (r < 0.45 and offset > 0) else OrderType.LIMIT
                if order_type == OrderType.LIMIT_MAKER:
                    tif = TimeInForce.GTC
                blob = encode_place(
                    order_id=order_id,
                    user_id=user,
                    side=side,
                    order_type=order_type,
                    time_in_force=tif,
                    price=price,
                    quantity=qty,
                    lock=price * qty if side == 0 else qty,
                )
            else:
                blob = encode_place(
                    order_id=order_id,
                    user_id=user,
                    side=side,
                    order_type=OrderType.MARKET,
                    quantity=qty,
                    lock=(mid + 1_000) * qty if side == 0 else qty,
                )
        commands.append(blob)
        v, c, result, oid, _, events, _, _, _ = msgpack.unpackb(model.apply(blob))
        for event in events:
            if event[0] == EventType.DONE:
                forget(event[1])
        if c == CommandType.PLACE and result == ResultCode.OK and model.book.get(oid):
            position[oid] = len(open_orders)
            open_orders.append((oid, model.book.get(oid).user))  # type: ignore[union-attr]
    return commands, prefill + 1


def _filled(commands: list[Any], prefill: int, run: str) -> Market:
    market = Market(SYMBOL)
    step = market.process if run == "process" else market.apply
    for command in commands[:prefill]:
        step(command)
    return market


def engine_gc_policy() -> None:
    """What `python -m matching_engine` does: freeze the loaded state, no automatic full GC."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 1_000_000)


def default_gc_policy() -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)


def throughput(
    commands: list[Any], prefill: int, run: str, engine_gc: bool = False
) -> tuple[float, Market]:
    market = _filled(commands, prefill, run)
    if engine_gc:
        engine_gc_policy()
    step = market.process if run == "process" else market.apply
    commands = commands[prefill:]
    started = time.perf_counter()
    for command in commands:
        step(command)
    rate = len(commands) / (time.perf_counter() - started)
    default_gc_policy()
    return rate, market


def latencies(commands: list[Any], prefill: int) -> list[int]:
    market = _filled(commands, prefill, "process")
    engine_gc_policy()
    commands = commands[prefill:]
    step = market.process
    clock = time.perf_counter_ns
    out = []
    append = out.append
    for command in commands:
        t0 = clock()
        step(command)
        append(clock() - t0)
    default_gc_policy()
    out.sort()
    return out


def memory_per_order(n: int) -> tuple[float, float]:
    """Bytes per resting order, in total and for the dedupe window alone."""
    market = Market(SYMBOL)
    market.apply(encode_market_create(symbol=SYMBOL))
    rng = random.Random(7)
    blobs = []
    for i in range(1, n + 1):
        side = i % 2
        price = 100_000 - rng.randint(1, 500) if side == 0 else 100_000 + rng.randint(1, 500)
        qty = rng.randint(1, 100)
        blobs.append(
            encode_place(
                order_id=i,
                user_id=rng.randint(1, 10_000),
                side=side,
                order_type=OrderType.LIMIT,
                price=price,
                quantity=qty,
                lock=price * qty if side == 0 else qty,
            )
        )
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for blob in blobs:
        market.apply(blob)
    gc.collect()
    total = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    # The ints are shared with the orders; the window costs its set and deque slots.
    window = sys.getsizeof(market.seen) + sys.getsizeof(market.seen_order)
    assert len(market.book.resting_orders()) == n
    return total / n, window / n


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--commands", type=int, default=1_000_000)
    p.add_argument("--users", type=int, default=10_000)
    p.add_argument("--book-orders", type=int, default=20_000, help="resting orders to hover at")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--memory-orders", type=int, default=200_000)
    args = p.parse_args()

    t0 = time.perf_counter()
    blobs, prefill = generate(args.commands, args.users, args.book_orders, args.seed)
    decoded = [msgpack.unpackb(b) for b in blobs]
    print(
        f"generated {len(blobs) - prefill:,} commands (after {prefill:,} that fill the book) "
        f"in {time.perf_counter() - t0:.1f}s"
    )

    rate_process, market = throughput(decoded, prefill, "process")
    rate_engine_gc, _ = throughput(decoded, prefill, "process", engine_gc=True)
    rate_apply, _ = throughput(blobs, prefill, "apply", engine_gc=True)
    lat = latencies(decoded, prefill)
    book = market.book
    levels = len(book.depth(0, 10**6)) + len(book.depth(1, 10**6))
    per_order, window_share = memory_per_order(args.memory_orders)

    def pct(q: float) -> str:
        return f"{lat[min(len(lat) - 1, int(q * len(lat)))] / 1000:.1f}"

    print(f"python {platform.python_version()} on {platform.machine()}, 1 core")
    print(
        f"final book: {len(book.resting_orders()):,} resting orders on {levels} levels, "
        f"{book.trade_seq:,} trades"
    )
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| core (`Market.process`, decoded commands) | {rate_process:,.0f} commands/s |")
    print(f"| core, engine GC policy | {rate_engine_gc:,.0f} commands/s |")
    print(f"| core + msgpack (`Market.apply`), engine GC policy | {rate_apply:,.0f} commands/s |")
    print(
        f"| latency p50 / p99 / p99.9 (core, engine GC policy) | {pct(0.5)} / {pct(0.99)} / "
        f"{pct(0.999)} us |"
    )
    print(f"| latency max (core, engine GC policy) | {lat[-1] / 1000:.0f} us |")
    print(
        f"| memory per resting order ({args.memory_orders:,} orders) | {per_order:.0f} bytes "
        f"(of which dedupe window {window_share:.0f}) |"
    )


if __name__ == "__main__":
    main()
