"""Order entry and clearing throughput through the real pipeline.

    .venv/bin/python bench/pipeline.py [--orders 20000] [--workers 1,2,4] [--trades 20000]
        [--batch-size 2000] [--entry-batches 1,10] [--threads 1,8] [--parts 1,2,3]
        [--profile clearing.prof]

Uses DATABASE_URL (default: PostgreSQL at 127.0.0.1, database ``exchange_bench_perf``,
dropped and re-created) and a private redis-server (AOF, ``appendfsync everysec``)
on a free loopback port, so nothing shared is touched. Prints three tables:

1. Order entry: limit orders accepted per second (check, lock, insert, ledger,
   append PLACE) with N worker processes, and per-order latency.
2. Clearing: a backlog of N crossing orders is matched by the real engine
   process, then cleared from the output stream: trades per second into the
   database, with the batch size used. The clock stops when the last batch is
   committed AND its user events are published (the clearer's publisher
   thread drained), so publishing is part of what is measured.
3. Lag under load: entry workers, engine and clearing all running; clearing's
   lag (input entries not yet cleared) sampled every 0.5 s.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.matching_engine.servers import EngineProcess, RedisServer  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/exchange_bench_perf"
SYMBOL = "BTCUSDT"


def setup_django(db_url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def recreate_database(db_url: str) -> None:
    if not db_url.startswith("postgres"):
        path = Path(db_url.removeprefix("sqlite:///"))
        path.unlink(missing_ok=True)
        return
    import psycopg2

    base, _, name = db_url.rpartition("/")
    conn = psycopg2.connect(f"{base}/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def seed(users: int) -> None:
    """Assets, the market and funded users (bench-000 ... bench-NNN)."""
    from decimal import Decimal

    from django.core.management import call_command

    from exchange.accounts.models import User
    from exchange.markets.actions import do_create_market
    from exchange.wallets.actions import do_credit_deposit
    from exchange.wallets.models import Asset

    call_command("migrate", verbosity=0)
    btc = Asset.objects.create(code="BTC", name="Bitcoin", precision=8)
    usdt = Asset.objects.create(code="USDT", name="Tether", precision=8)
    do_create_market(
        base=btc,
        quote=usdt,
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.00001"),
        min_qty=Decimal("0.00001"),
        max_qty=Decimal("1000"),
        min_notional=Decimal("0"),
        maker_fee=Decimal("0.001"),
        taker_fee=Decimal("0.002"),
    )
    for i in range(users):
        user = User.objects.create_user(email=f"bench-{i:03}@example.com", password=None)
        for asset in (btc, usdt):
            do_credit_deposit(
                user=user, asset=asset, amount="1000000", network="bench", txid=f"{i}-{asset.code}"
            )


def entry_worker(
    db_url: str,
    redis_url: str,
    index: int,
    count: int,
    side: str,
    price: str,
    results: Any,
    batch: int,
    threads: int = 1,
    go: Any = None,
) -> None:
    """Place ``count`` limit orders, ``batch`` per call; report latencies.

    Set-up (Django, users) happens before the clock starts: with ``go`` the
    worker reports ready on ``results`` and waits for it, so N processes
    start placing at once and spawn time is not counted.

    One per call is what the APIs do (``do_place_order``); more per call is the
    batch path (``do_place_orders``). With ``threads`` > 1, that many threads
    (user bench-<index * threads + t> each) place one order per call with
    group commit on; else user bench-<index> alone.
    """
    import threading

    if threads > 1:
        os.environ["ORDER_ENTRY_GROUP_COMMIT"] = "1"
    setup_django(db_url, redis_url)
    from django.db import connection

    from exchange.accounts.models import User
    from exchange.orders.actions import check_place_order, do_place_order, do_place_orders

    latencies: list[float] = []
    first = index * threads if threads > 1 else index
    users = {
        i: User.objects.get(email=f"bench-{i:03}@example.com")
        for i in range(first, first + threads)
    }
    if go is not None:
        results.put("ready")
        go.wait()

    def place(user_index: int, n: int) -> None:
        user = users[user_index]
        for _ in range(n // batch):
            started = time.perf_counter()
            orders = [
                check_place_order(
                    symbol=SYMBOL, side=side, type="LIMIT", price=price, quantity="0.00001"
                )
                for _ in range(batch)
            ]
            if batch == 1:
                do_place_order(user=user, order=orders[0])
            else:
                do_place_orders(user=user, orders=orders)
            latencies.append(time.perf_counter() - started)
        connection.close()

    if threads == 1:
        place(index, count)
    else:
        pool = [
            threading.Thread(target=place, args=(index * threads + t, count // threads))
            for t in range(threads)
        ]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    results.put(latencies)


def run_entry(
    db_url: str,
    redis_url: str,
    workers: int,
    per_worker: int,
    side: str,
    price: str,
    first_user: int = 0,
    batch: int = 1,
    threads: int = 1,
) -> tuple[float, list[float]]:
    """Run ``workers`` entry processes at once; return (seconds, per-call latencies).

    The clock starts when every worker is set up and ends when the last one is done.
    """
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    go = ctx.Event()
    procs = [
        ctx.Process(
            target=entry_worker,
            args=(
                db_url,
                redis_url,
                first_user + i,
                per_worker,
                side,
                price,
                results,
                batch,
                threads,
                go,
            ),
        )
        for i in range(workers)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        assert results.get() == "ready"
    started = time.perf_counter()
    go.set()
    latencies: list[float] = []
    for _ in procs:
        latencies += results.get()
    for p in procs:
        p.join()
    return time.perf_counter() - started, latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def last_input_id(client: Any) -> str:
    from matching_client import input_stream

    newest = client.xrevrange(input_stream(SYMBOL), count=1)
    return newest[0][0].decode() if newest else "0-0"


def backend_cpu_seconds() -> float:
    """CPU time used so far by this connection's PostgreSQL backend (same host; 0 on SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def clear_backlog(
    batch_size: int, profile: str | None = None
) -> tuple[int, int, float, float, float]:
    """Clear everything in the output stream, and publish its user events.

    Returns (entries, trades, seconds, CPU seconds of this process (all its
    threads), of its PostgreSQL backend): on a CPU shared with other jobs,
    ``trades / CPU seconds`` estimates the rate on idle cores. The time ends
    at the later of the last non-empty step and the publisher's last batch
    (``EventPublisher.drained_at``); the empty reads that tell the backlog is
    done are not counted.
    With ``profile``, under cProfile, the stats written to that file.
    """
    import cProfile

    from exchange.clearing.runner import MarketClearer
    from exchange.markets.models import Market

    clearer = MarketClearer(
        Market.objects.select_related("base", "quote").get(symbol=SYMBOL),
        batch_size=batch_size,
        block_ms=50,
    )
    profiler = cProfile.Profile() if profile else None
    cpu, db_cpu = time.process_time(), backend_cpu_seconds()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    idle, busy_until = 0, started
    while idle < 3:
        if clearer.step():
            idle, busy_until = 0, time.perf_counter()
        else:
            idle += 1
    clearer.publisher.wait()
    seconds = max(busy_until, clearer.publisher.drained_at) - started
    if profiler and profile:
        profiler.disable()
        profiler.dump_stats(profile)
    cpu, db_cpu = time.process_time() - cpu, backend_cpu_seconds() - db_cpu
    clearer.close()
    return clearer.cleared_entries, clearer.cleared_trades, seconds, cpu, db_cpu


def wait_engine(client: Any, timeout: float = 600) -> None:
    """Wait until the engine has answered every input entry."""
    from matching_client import input_stream, output_stream

    deadline = time.monotonic() + timeout
    while client.xlen(output_stream(SYMBOL)) < client.xlen(input_stream(SYMBOL)):
        assert time.monotonic() < deadline, "engine did not catch up"
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=20_000, help="orders per entry measurement")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--trades", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=2000, help="clearing batch size")
    parser.add_argument("--entry-batches", default="1,10", help="orders per order-entry call")
    parser.add_argument(
        "--parts",
        default="1,2,3",
        help="measurements to run (3 needs 2; 2 without 1 seeds its buys)",
    )
    parser.add_argument(
        "--threads", default="1,8", help="threads per entry process, one order per call"
    )
    parser.add_argument("--profile", help="write cProfile stats of the clearing run here")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]  # progress when piped
    db_url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    workers = [int(w) for w in args.workers.split(",")]
    threads = [int(t) for t in args.threads.split(",")]
    parts = {int(p) for p in args.parts.split(",")}

    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp) / "redis", appendfsync="everysec")
        server.start()
        try:
            recreate_database(db_url)
            setup_django(db_url, server.url)
            from django.db import connection

            from exchange.clearing.models import Checkpoint
            from matching_client import parse_entry_id

            users = max(workers) * max(threads) + 4
            seed(users=users)
            print(
                f"database: {connection.vendor}; redis: {server.url} (AOF everysec); cores: {os.cpu_count()}"
            )
            client = server.client()

            print("\n1. Order entry (LIMIT buys that rest; engine not running)")
            print(
                f"{'workers':>8} {'threads':>8} {'per call':>8} {'orders':>8} {'orders/s':>10} "
                f"{'call p50 ms':>12} "
                f"{'call p99 ms':>12}"
            )
            if 1 not in parts:  # only the resting buys part 2 needs
                run_entry(db_url, server.url, 2, args.trades // 2, "BUY", "10000", batch=10)
            runs = [
                (batch, t)
                for batch in [int(b) for b in args.entry_batches.split(",")]
                for t in (threads if batch == 1 else [1])
                if 1 in parts
            ]
            for batch, t in runs:
                for w in workers:
                    seconds, lat = run_entry(
                        db_url,
                        server.url,
                        w,
                        args.orders // w,
                        "BUY",
                        "10000",
                        batch=batch,
                        threads=t,
                    )
                    n = len(lat) * batch
                    print(
                        f"{w:>8} {t:>8} {batch:>8} {n:>8} {n / seconds:>10.0f} "
                        f"{pct(lat, 0.5) * 1e3:>12.2f} {pct(lat, 0.99) * 1e3:>12.2f}"
                    )

            if 2 not in parts:
                return
            print(f"\n2. Clearing a backlog: {args.trades} sells crossing the resting buys")
            engine = EngineProcess(server.url, Path(tmp) / "engine.log", markets=SYMBOL)
            engine.start()
            half = args.trades // 2
            run_entry(db_url, server.url, 2, half, "SELL", "10000", first_user=users - 2, batch=10)
            wait_engine(client)
            entries, trades, seconds, cpu, db_cpu = clear_backlog(args.batch_size, args.profile)
            print(
                f"{'entries':>8} {'trades':>8} {'seconds':>8} {'trades/s':>10} {'entries/s':>10} "
                f"{'batch':>6} {'CPU s py':>9} {'CPU s pg':>9} {'trades/CPU s':>13}"
            )
            print(
                f"{entries:>8} {trades:>8} {seconds:>8.2f} {trades / seconds:>10.0f} "
                f"{entries / seconds:>10.0f} {args.batch_size:>6} {cpu:>9.2f} {db_cpu:>9.2f} "
                f"{trades / (cpu + db_cpu):>13.0f}"
            )

            if 3 not in parts:
                engine.terminate()
                return
            print("\n3. Lag under load: 2 entry workers + engine + clearing (in-process thread)")
            import threading

            from exchange.clearing.runner import MarketClearer
            from exchange.markets.models import Market

            stop = threading.Event()
            clearer = MarketClearer(
                Market.objects.select_related("base", "quote").get(symbol=SYMBOL),
                batch_size=args.batch_size,
                stop=stop,
            )
            thread = threading.Thread(target=clearer.run)
            thread.start()
            samples: list[int] = []
            ctx = mp.get_context("spawn")
            results = ctx.Queue()
            procs = [
                ctx.Process(
                    target=entry_worker,
                    args=(
                        db_url,
                        server.url,
                        i,
                        args.orders // 2,
                        "SELL" if i else "BUY",
                        "10000",
                        results,
                        1,
                    ),
                )
                for i in range(2)
            ]
            started = time.perf_counter()
            for p in procs:
                p.start()
            while any(p.is_alive() for p in procs):
                time.sleep(0.5)
                last_in = parse_entry_id(last_input_id(client))
                done = parse_entry_id(Checkpoint.objects.get(symbol=SYMBOL).last_entry_id)
                samples.append(
                    len(client.xrange("me:{BTCUSDT}:in", f"{done[0]}-{done[1] + 1}", "+"))
                    if last_in > done
                    else 0
                )
            for _ in procs:
                results.get()
            elapsed = time.perf_counter() - started
            stop.set()
            thread.join()
            print(f"{'orders':>8} {'seconds':>8} {'max lag':>8} {'mean lag':>9} (entries behind)")
            print(
                f"{args.orders // 2 * 2:>8} {elapsed:>8.1f} {max(samples, default=0):>8} "
                f"{statistics.mean(samples) if samples else 0:>9.0f}"
            )
            engine.terminate()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
