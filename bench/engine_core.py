"""In-process benchmark of the matching core (no Redis), exchange-core style.

    .venv/bin/python bench/engine_core.py [--commands 1000000] [--users 10000] [--seed 1]
        [--cores pure,compiled] [--repeat 3] [--memory-orders 200000]

Each core (the pure-Python modules and the mypyc build of `make engine-core`) runs in its
own interpreter, chosen with MATCHING_ENGINE_PURE, one after the other in one invocation;
each also times a bare Python order book (`bench/bare_book.py`) on the same commands in
the same process, so the ratios compare like with like. Throughputs are commands per
second of the process's CPU time, so other jobs on a shared machine distort them far
less than wall-clock rates; latencies are wall clock.

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
import json
import os
import platform
import random
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import msgpack

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import matching_engine  # noqa: E402
from bench.bare_book import BareBook  # noqa: E402
from matching_engine import native  # noqa: E402
from matching_engine.market import Market  # noqa: E402
from matching_engine.protocol import (  # noqa: E402
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
    started = time.process_time()
    for command in commands:
        step(command)
    rate = len(commands) / (time.process_time() - started)
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


def bare_throughput(commands: list[Any], prefill: int) -> float:
    """The bare reference book on the same decoded commands, with the engine's GC policy."""
    book = BareBook()
    for command in commands[:prefill]:
        book.process(command)
    engine_gc_policy()
    step = book.process
    commands = commands[prefill:]
    started = time.process_time()
    for command in commands:
        step(command)
    rate = len(commands) / (time.process_time() - started)
    default_gc_policy()
    return rate


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every figure for the core this interpreter loaded (one child process per core)."""
    t0 = time.perf_counter()
    blobs, prefill = generate(args.commands, args.users, args.book_orders, args.seed)
    decoded = [msgpack.unpackb(b) for b in blobs]
    generated = time.perf_counter() - t0
    rate_bare = bare_throughput(decoded, prefill)
    rate_process, market = throughput(decoded, prefill, "process")
    rate_engine_gc, _ = throughput(decoded, prefill, "process", engine_gc=True)
    rate_apply, _ = throughput(blobs, prefill, "apply", engine_gc=True)
    lat = latencies(decoded, prefill)
    book = market.book
    per_order, window_share = (
        memory_per_order(args.memory_orders) if args.memory_orders else (0.0, 0.0)
    )

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, int(q * len(lat)))] / 1000

    return {
        "core": matching_engine.CORE,
        "load": os.getloadavg()[0],
        "commands": len(blobs) - prefill,
        "prefill": prefill,
        "generated_s": generated,
        "resting": len(book.resting_orders()),
        "levels": len(book.depth(0, 10**6)) + len(book.depth(1, 10**6)),
        "trades": book.trade_seq,
        "bare": rate_bare,
        "process": rate_process,
        "engine_gc": rate_engine_gc,
        "apply": rate_apply,
        "latency_us": [pct(0.5), pct(0.99), pct(0.999), lat[-1] / 1000],
        "memory": [per_order, window_share],
    }


def run_core(core: str, argv: list[str]) -> dict[str, Any]:
    """Measure one core in a fresh interpreter: the core is chosen once, at import."""
    env = {**os.environ, native.PURE_ENV: "1" if core == "pure" else ""}
    out = subprocess.run(
        [sys.executable, __file__, "--child", *argv],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.splitlines()[-1])
    if not result["core"].startswith(core):
        raise SystemExit(f"asked for the {core} core, got: {result['core']} (make engine-core)")
    return result


def report(runs: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> None:
    """The best run of each core (by core throughput), every run, and the ratios."""
    best = {name: max(rs, key=lambda r: r["process"]) for name, rs in runs.items()}
    first = next(iter(best.values()))
    print(f"python {platform.python_version()} on {platform.machine()}, 1 core per measurement")
    print(
        f"{first['commands']:,} commands after {first['prefill']:,} that fill the book; "
        f"final book: {first['resting']:,} resting orders on {first['levels']} levels, "
        f"{first['trades']:,} trades"
    )
    print()
    print(
        "| core (best of runs) | bare book, same process | core (`Market.process`) | "
        "core / bare | core, engine GC policy | core + msgpack (`Market.apply`) | "
        "latency p50 / p99 / p99.9 / max | memory per resting order | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in best.items():
        p50, p99, p999, top = r["latency_us"]
        memory = f"{r['memory'][0]:.0f} B" if args.memory_orders else "-"
        print(
            f"| {name} | {r['bare']:,.0f}/s | {r['process']:,.0f}/s | "
            f"{r['process'] / r['bare']:.2f}x | {r['engine_gc']:,.0f}/s | {r['apply']:,.0f}/s | "
            f"{p50:.1f} / {p99:.1f} / {p999:.1f} / {top:.0f} us | {memory} | {r['load']:.1f} |"
        )
    print()
    print("all runs, in order (core: bare / core / engine GC / with msgpack, commands/s; load):")
    for i in range(max(len(rs) for rs in runs.values())):
        for name, rs in runs.items():
            if i < len(rs):
                r = rs[i]
                print(
                    f"  {name}: {r['bare']:,.0f} / {r['process']:,.0f} / {r['engine_gc']:,.0f} / "
                    f"{r['apply']:,.0f}; {r['load']:.1f}"
                )
    if "pure" in best and "compiled" in best:
        pure, compiled = best["pure"], best["compiled"]
        print()
        print(
            f"compiled / pure (best runs): core {compiled['process'] / pure['process']:.2f}x, "
            f"engine GC policy {compiled['engine_gc'] / pure['engine_gc']:.2f}x, "
            f"with msgpack {compiled['apply'] / pure['apply']:.2f}x; core / bare book: "
            f"pure {pure['process'] / pure['bare']:.2f}x, "
            f"compiled {compiled['process'] / compiled['bare']:.2f}x"
        )
        print(f"compiled core: {compiled['core']}")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--commands", type=int, default=1_000_000)
    p.add_argument("--users", type=int, default=10_000)
    p.add_argument("--book-orders", type=int, default=20_000, help="resting orders to hover at")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--memory-orders", type=int, default=200_000, help="0 skips the measure")
    p.add_argument("--cores", default="pure,compiled", help="cores to measure, one run each")
    p.add_argument("--repeat", type=int, default=3, help="runs per core, interleaved")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(measure(args)))
        return
    argv = [
        f"--commands={args.commands}",
        f"--users={args.users}",
        f"--book-orders={args.book_orders}",
        f"--seed={args.seed}",
        f"--memory-orders={args.memory_orders}",
    ]
    cores = args.cores.split(",")
    runs: dict[str, list[dict[str, Any]]] = {core: [] for core in cores}
    for _ in range(args.repeat):  # interleaved, so a burst of load hits both cores alike
        for core in cores:
            runs[core].append(run_core(core, argv))
    report(runs, args)


if __name__ == "__main__":
    main()
