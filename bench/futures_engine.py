"""Benchmark of the futures state machine, in process and (--redis) through Redis.

    .venv/bin/python bench/futures_engine.py [--accounts 100000] [--commands 200000] [--redis]
        [--cores both]

`--cores both` runs the whole benchmark twice, in child processes, on the pure-Python
core (MATCHING_ENGINE_PURE=1, the engine process too) and on the mypyc build
(`make engine-core`), and prints the compiled / pure ratio of every rate.

Setup (timed separately): one BTCUSDT perpetual; `--accounts` accounts deposit and pair up
(one sells to the other at the mark), so every account holds one open position
(`--accounts` positions in total) with leverage between 2x and 50x and a deposit of
1.1 x its initial margin, so liquidation prices are spread below and above the mark. Then, timed:

* commands/s of `MarginGroup.apply` on a mix of market-maker PLACE (limit, some
  crossing) and CANCEL, traders' small market orders, and a MARK_PRICE every 50
  commands that moves within a band where nobody is liquidated;
* MARK_PRICE latency when it liquidates nobody (percentiles over many updates);
* MARK_PRICE latency when it liquidates: marks stepping down 0.1 % at a time, each
  with a deep bid just below, so liquidations fill in the book (no ADL);
* with --redis first: setup + mixed commands appended to `me:{USDT}:in` of a private
  redis-server (AOF, appendfsync always), then one engine process
  (`--margin-groups USDT`) runs them; commands/s from its first output to its last,
  and the engine's and redis-server's CPU per command over that span (/proc; the
  machine's load distorts it much less than the wall clock). The core the engine
  process ran is read from its log.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgpack

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import matching_engine  # noqa: E402
from matching_engine.futures import protocol as fp  # noqa: E402
from matching_engine.futures.engine import MarginGroup  # noqa: E402

GROUP = "USDT"

USDT = 1_000_000
MULT = 100
MARK = 600_000  # 60,000.0 USDT in 0.1 ticks
BRACKETS = [(50_000 * USDT, 125, 400_000), (250_000 * USDT, 100, 500_000), (10**18, 20, 2_500_000)]
MAKER = 10**9  # a market maker with a deep wallet


def setup(accounts: int, seed: int) -> tuple[list[bytes], int]:
    """Return the commands that open one position per account, and the last id used."""
    rng = random.Random(seed)
    blobs: list[bytes] = []
    apply = blobs.append
    apply(
        fp.encode_contract_create(
            contract=1,
            symbol="BTCUSDT",
            multiplier=MULT,
            min_notional=5 * USDT,
            maker_fee=20_000,
            taker_fee=50_000,
            liquidation_fee=500_000,
            funding_cap=750_000,
            brackets=BRACKETS,
        )
    )
    apply(fp.encode_mark_price(contract=1, price=MARK))
    apply(fp.encode_deposit(request_id=1, user_id=MAKER, amount=10**17))
    oid = 10
    for user in range(1, accounts, 2):
        qty = rng.randrange(1, 100)  # 0.001 .. 0.099 BTC
        for u, side in ((user + 1, 1), (user, 0)):
            leverage = rng.choice((2, 5, 10, 20, 50))
            # 10 % more than the initial margin and the fee: liquidation ~ 1/leverage away
            deposit = qty * MARK * MULT * 11 // (10 * leverage) + qty * MARK * MULT // 1000
            oid += 1
            apply(fp.encode_deposit(request_id=oid, user_id=u, amount=deposit))
            apply(fp.encode_set_leverage(user_id=u, contract=1, leverage=leverage))
            oid += 1
            apply(
                fp.encode_place(
                    order_id=oid, user_id=u, contract=1, side=side, price=MARK, quantity=qty
                )
            )
    return blobs, oid


def mixed(oid: int, count: int, accounts: int, seed: int) -> tuple[list[bytes], int]:
    rng = random.Random(seed)
    blobs: list[bytes] = []
    open_ids: list[int] = []
    mark = MARK
    for i in range(count):
        oid += 1
        r = rng.random()
        if i % 50 == 0:
            mark = MARK + rng.randrange(-300, 301)  # +-30 USDT: liquidates nobody
            blobs.append(fp.encode_mark_price(contract=1, price=mark))
        elif r < 0.55 or not open_ids:
            side = rng.randrange(2)
            price = mark + (rng.randrange(-20, 60) * (1 if side else -1))
            blobs.append(
                fp.encode_place(
                    order_id=oid,
                    user_id=MAKER,
                    contract=1,
                    side=side,
                    price=price,
                    quantity=rng.randrange(1, 50),
                )
            )
            open_ids.append(oid)
        elif r < 0.9:
            blobs.append(
                fp.encode_cancel(order_id=open_ids.pop(rng.randrange(len(open_ids))), user_id=MAKER)
            )
        else:
            user = rng.randrange(1, accounts + 1)
            blobs.append(
                fp.encode_place(
                    order_id=oid,
                    user_id=user,
                    contract=1,
                    side=rng.randrange(2),
                    order_type=2,
                    quantity=1,
                )
            )
    return blobs, oid


def percentiles(samples: list[float]) -> str:
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] * 1e6  # noqa: E731
    return f"p50 {pick(0.5):.1f} us, p99 {pick(0.99):.1f} us, max {s[-1] * 1e6:.1f} us"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc), load-independent."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def through_redis(blobs: list[bytes]) -> tuple[float, float, float, float, str]:
    """Run `blobs` through an engine process on a private durable Redis.

    Return commands/s (wall clock, first output to last), the engine process's CPU
    seconds per command up to its last output (startup included) and from its first
    output to its last (the steady state), redis-server's CPU seconds per command over
    the same span, and the core the engine process says it runs.
    """
    from bench.engine_service import append_all, wait_output
    from tests.matching_engine.servers import EngineProcess, RedisServer

    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp) / "redis")  # AOF, appendfsync always
        server.start()
        try:
            append_all(server.url, GROUP, blobs)
            engine = EngineProcess(
                server.url, Path(tmp) / "engine.log", "--margin-groups", GROUP, markets=""
            )
            engine.start()
            assert engine.process is not None and server.process is not None
            first = wait_output(server.url, GROUP, 1, 60)
            cpu_first = cpu_seconds(engine.process.pid)
            redis_first = cpu_seconds(server.process.pid)
            last = wait_output(server.url, GROUP, len(blobs), 1800)
            cpu = cpu_seconds(engine.process.pid)
            redis_cpu = cpu_seconds(server.process.pid) - redis_first
            engine.terminate()
            core = re.search(r"matching core: (\w+)", engine.log.read_text())
        finally:
            server.kill()
    n = len(blobs)
    steady = (cpu - cpu_first) / (n - 1)
    return (n - 1) / (last - first), cpu / n, steady, redis_cpu / (n - 1), core[1] if core else "?"


RATE = re.compile(
    r"^(setup|mixed workload|through Redis|MARK_PRICE liquidating nobody)\b.*?"
    r"([\d,.]+) (?:commands/s|us)",
    re.M,
)


def both_cores(argv: list[str]) -> int:
    """Run this benchmark on each core in a child process; print both and the ratios."""
    rates: dict[str, dict[str, float]] = {}
    for core, pure in (("pure", "1"), ("compiled", "")):
        env = {**os.environ, "MATCHING_ENGINE_PURE": pure}
        out = subprocess.run(
            [sys.executable, __file__, *argv], env=env, capture_output=True, text=True, check=True
        ).stdout
        print(f"--- {core} core\n{out}", end="")
        rates[core] = {m[1]: float(m[2].replace(",", "")) for m in RATE.finditer(out)}
    for name, pure_rate in rates["pure"].items():
        ratio = rates["compiled"].get(name, 0.0) / pure_rate
        print(f"compiled / pure, {name}: {ratio:.2f}x")
    return 0


def main() -> int:
    if "--cores" in sys.argv:
        at = sys.argv.index("--cores")
        return both_cores(sys.argv[1:at] + sys.argv[at + 2 :])
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--accounts", type=int, default=100_000)
    p.add_argument("--commands", type=int, default=200_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--redis", action="store_true", help="also run setup + workload through Redis")
    p.add_argument("--cores", choices=["both"], help="compare the pure and the compiled core")
    args = p.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {sys.platform}")
    print(f"core: {matching_engine.CORE}")
    setup_blobs, oid = setup(args.accounts, args.seed)
    blobs, oid = mixed(oid, args.commands, args.accounts, args.seed)
    if args.redis:
        rate, cpu, steady, redis_cpu, core = through_redis(setup_blobs + blobs)
        print(
            f"through Redis (engine process, {core} core, AOF always): "
            f"{len(setup_blobs) + len(blobs):,} commands (setup + mixed) at {rate:,.0f} "
            f"commands/s; engine CPU {cpu * 1e6:.1f} us per command = {1 / cpu:,.0f} commands "
            f"per CPU-second (first to last output: {steady * 1e6:.1f} us = "
            f"{1 / steady:,.0f}); redis-server CPU {redis_cpu * 1e6:.1f} us per command"
        )
        print(f"load average {os.getloadavg()[0]:.1f}")
    gc.disable()
    group = MarginGroup(GROUP)
    apply = group.apply
    t0 = time.perf_counter()
    for blob in setup_blobs:
        apply(blob)
    elapsed = time.perf_counter() - t0
    positions = sum(1 for a in group.accounts.values() for pos in a.positions.values() if pos.size)
    print(
        f"setup: {len(setup_blobs):,} commands in {elapsed:.1f} s = "
        f"{len(setup_blobs) / elapsed:,.0f} commands/s -> {len(group.accounts):,} accounts, "
        f"{positions:,} open positions"
    )
    t0, c0 = time.perf_counter(), time.process_time()
    for blob in blobs:
        apply(blob)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"mixed workload: {len(blobs):,} commands in {elapsed:.2f} s = "
        f"{len(blobs) / elapsed:,.0f} commands/s; {len(blobs) / cpu:,.0f} per CPU-second"
    )

    quiet: list[float] = []
    rng = random.Random(args.seed)
    for _ in range(5_000):
        blob = fp.encode_mark_price(contract=1, price=MARK + rng.randrange(-300, 301))
        t = time.perf_counter()
        apply(blob)
        quiet.append(time.perf_counter() - t)
    print(f"MARK_PRICE liquidating nobody ({positions:,} positions): {percentiles(quiet)}")

    # A deep bid, then marks that step down: each step liquidates the longs it crosses.
    oid += 1
    apply(
        fp.encode_place(
            order_id=oid, user_id=MAKER, contract=1, side=0, price=MARK // 2, quantity=10**7
        )
    )
    mark = MARK
    total_liq = 0
    total_t = 0.0
    steps: list[tuple[int, float]] = []
    for _ in range(60):
        mark -= 600  # 60 USDT, 0.1 %
        oid += 1
        bid = fp.encode_place(
            order_id=oid, user_id=MAKER, contract=1, side=0, price=mark - 100, quantity=10**6
        )
        apply(bid)
        t = time.perf_counter()
        out = msgpack.unpackb(apply(fp.encode_mark_price(contract=1, price=mark)))
        dt = time.perf_counter() - t
        n = sum(1 for e in out[5] if e[0] == fp.FuturesEvent.LIQUIDATION)
        if n:
            steps.append((n, dt))
            total_liq += n
            total_t += dt
    group.validate_internal_state()
    if steps:
        worst = max(steps, key=lambda s: s[1])
        print(
            f"MARK_PRICE with liquidations: {len(steps)} updates liquidated {total_liq:,} accounts, "
            f"{total_t / total_liq * 1e6:.1f} us per liquidated account; "
            f"slowest update {worst[1] * 1e3:.1f} ms for {worst[0]:,} accounts"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
