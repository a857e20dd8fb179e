"""Order entry and clearing throughput through the real pipeline.

    .venv/bin/python bench/pipeline.py [--orders 20000] [--workers 1,2,4] [--trades 20000]
        [--batch-size 2000] [--entry-batches 1,10] [--threads 1,8] [--parts 1,2,3]
        [--markets 1] [--listeners] [--profile clearing.prof]

Uses DATABASE_URL (default: PostgreSQL at 127.0.0.1, database ``exchange_bench_perf``,
dropped and re-created) and a private redis-server (AOF, ``appendfsync everysec``)
on a free loopback port, so nothing shared is touched. Prints three tables:

1. Order entry: limit orders accepted per second (check, lock, insert, ledger,
   append PLACE) with N worker processes, per-call latency, and the CPU time
   per order of the workers, of their PostgreSQL backends and of redis-server:
   on two shared cores, 2,000 orders/s needs their sum under ~1 ms.
2. Clearing: a backlog of N crossing orders is matched by the real engine
   process, then cleared from the output stream: trades per second into the
   database, with the batch size used. With ``--markets M``, M markets
   (BTCUSDT, ETHUSDT, ...) get the same backlog and are cleared at once, one
   process per market as ``runclearing --markets SYMBOL`` runs in a
   deployment: per market and in all, with the CPU seconds of the clearing
   processes and of their PostgreSQL backends. (With part 1, BTCUSDT's backlog
   also holds the PLACE answers of part 1's resting buys; run ``--parts 2``
   for equal backlogs.) Clearing builds user events only for users whose
   channel has a subscriber: with ``--listeners`` a subscriber (a thread of
   the bench, standing in for the WebSocket servers) listens on every bench
   user's channel, so every message is built and sent.
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
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.matching_engine.servers import EngineProcess, RedisServer  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/exchange_bench_perf"
SYMBOL = "BTCUSDT"
# Base assets of the bench markets (all quoted in USDT); part 2's --markets N uses the first N.
BASES = ("BTC", "ETH", "SOL", "BNB", "XRP", "ADA", "DOGE", "LTC")


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


def market_symbols(count: int) -> list[str]:
    """The first ``count`` bench markets: BTCUSDT (the one parts 1 and 3 use), ETHUSDT, ..."""
    assert 1 <= count <= len(BASES), f"--markets is 1 to {len(BASES)}"
    return [f"{base}USDT" for base in BASES[:count]]


def seed(users: int, markets: int = 1) -> None:
    """Assets, the markets (``market_symbols``) and funded users (bench-000 ... bench-NNN)."""
    from decimal import Decimal

    from django.core.management import call_command

    from exchange.accounts.models import User
    from exchange.markets.actions import do_create_market
    from exchange.wallets.actions import do_credit_deposit
    from exchange.wallets.models import Asset

    call_command("migrate", verbosity=0)
    usdt = Asset.objects.create(code="USDT", name="Tether", precision=8)
    bases = [Asset.objects.create(code=code, name=code, precision=8) for code in BASES[:markets]]
    for base in bases:
        do_create_market(
            base=base,
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
        for asset in (*bases, usdt):
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
    from exchange.orders.actions import do_place_order, do_place_orders
    from exchange.orders.requests import OrderRequest

    latencies: list[float] = []
    first = index * threads if threads > 1 else index
    users = {
        i: User.objects.get(email=f"bench-{i:03}@example.com")
        for i in range(first, first + threads)
    }
    if go is not None:
        results.put("ready")
        go.wait()
    cpu, db_cpu = time.process_time(), backend_cpu_seconds()

    def place(user_index: int, n: int) -> None:
        user = users[user_index]
        for _ in range(n // batch):
            started = time.perf_counter()
            orders = [
                OrderRequest.parse(
                    symbol=SYMBOL, side=side, type="LIMIT", price=price, quantity="0.00001"
                )
                for _ in range(batch)
            ]
            if batch == 1:
                do_place_order(user=user, request=orders[0])
            else:
                do_place_orders(user=user, requests=orders)
            latencies.append(time.perf_counter() - started)
        if threads > 1:
            connection.close()

    if threads == 1:
        place(index, count)
        db_cpu = backend_cpu_seconds() - db_cpu
        connection.close()
    else:  # the committer threads' backends are not counted
        pool = [
            threading.Thread(target=place, args=(index * threads + t, count // threads))
            for t in range(threads)
        ]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    results.put((latencies, time.process_time() - cpu, db_cpu if threads == 1 else 0.0))


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
) -> tuple[float, list[float], float, float]:
    """Run ``workers`` entry processes at once.

    Returns (seconds, per-call latencies, CPU seconds of the workers, of their
    PostgreSQL backends). The clock starts when every worker is set up and ends
    when the last one is done.
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
    cpu = db_cpu = 0.0
    for _ in procs:
        worker_latencies, worker_cpu, worker_db_cpu = results.get()
        latencies += worker_latencies
        cpu, db_cpu = cpu + worker_cpu, db_cpu + worker_db_cpu
    for p in procs:
        p.join()
    return time.perf_counter() - started, latencies, cpu, db_cpu


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def last_input_id(client: Any) -> str:
    from matching_client import input_stream

    newest = client.xrevrange(input_stream(SYMBOL), count=1)
    return newest[0][0].decode() if newest else "0-0"


def process_cpu_seconds(pid: int) -> float:
    """CPU time used so far by process ``pid`` of this host (utime + stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_cpu_seconds() -> float:
    """CPU time used so far by this connection's PostgreSQL backend (same host; 0 on SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return process_cpu_seconds(pid)


def place_backlog(symbol: str, side: str, count: int, users: list[int]) -> None:
    """Place ``count`` limit orders of 0.00001 at 10000 on ``symbol``, 100 per call, in turns
    by bench-<users>: part 2's set-up for a market part 1 did not fill (not measured)."""
    from django.db import connection

    from exchange.accounts.models import User
    from exchange.orders.actions import do_place_orders
    from exchange.orders.requests import OrderRequest

    placers = [User.objects.get(email=f"bench-{i:03}@example.com") for i in users]
    for call, first in enumerate(range(0, count, 100)):
        orders = [
            OrderRequest.parse(
                symbol=symbol, side=side, type="LIMIT", price="10000", quantity="0.00001"
            )
            for _ in range(min(100, count - first))
        ]
        do_place_orders(user=placers[call % len(placers)], requests=orders)
    connection.close()


def clearing_worker(
    db_url: str,
    redis_url: str,
    symbol: str,
    batch_size: int,
    results: Any,
    go: Any,
    profile: str | None = None,
) -> None:
    """Clear ``symbol``'s output stream in this process, as ``runclearing --markets SYMBOL`` does.

    Set-up (Django, the database and Redis connections) happens before the
    clock starts: the worker reports ready on ``results`` and waits for
    ``go``. Then it steps until three reads in a row find nothing, and
    reports what it cleared, when (``time.perf_counter``: CLOCK_MONOTONIC on
    Linux, one clock for every process of the machine) and the CPU seconds
    of this process and of its PostgreSQL backend: on a CPU shared with
    other jobs, ``trades / CPU seconds`` estimates the rate on idle cores.
    With ``profile``, under cProfile, the stats written to that file.
    """
    import cProfile

    setup_django(db_url, redis_url)
    from exchange.clearing.runner import GC_GEN0_THRESHOLD, MarketClearer
    from exchange.core import gc_tuning
    from exchange.markets.models import Market

    clearer = MarketClearer(
        Market.objects.select_related("base", "quote").get(symbol=symbol),
        batch_size=batch_size,
        block_ms=50,
    )
    clearer.redis.ping()
    gc_tuning.tune(GC_GEN0_THRESHOLD)  # as runclearing does
    results.put("ready")
    go.wait()
    profiler = cProfile.Profile() if profile else None
    cpu, db_cpu = time.process_time(), backend_cpu_seconds()
    started = finished = time.perf_counter()
    if profiler:
        profiler.enable()
    idle = 0
    while idle < 3:
        if clearer.step():
            idle, finished = 0, time.perf_counter()
        else:
            idle += 1
    clearer.publisher.wait()
    finished = max(finished, clearer.publisher.drained_at)
    if profiler and profile:
        profiler.disable()
        profiler.dump_stats(profile)
    results.put(
        {
            "symbol": symbol,
            "entries": clearer.cleared_entries,
            "trades": clearer.cleared_trades,
            "started": started,
            "finished": finished,
            "cpu": time.process_time() - cpu,
            "db_cpu": backend_cpu_seconds() - db_cpu,
        }
    )
    clearer.close()


def clear_backlogs(
    db_url: str, redis_url: str, symbols: list[str], batch_size: int, profile: str | None = None
) -> tuple[float, list[dict[str, Any]]]:
    """Clear every market's output stream at once, one process per market.

    The clock starts when every process is set up; returns (seconds until
    the last one was done, each process's report of ``clearing_worker``).
    With ``profile`` and several markets, each writes ``PROFILE.SYMBOL``.
    """
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    go = ctx.Event()
    procs = [
        ctx.Process(
            target=clearing_worker,
            args=(
                db_url,
                redis_url,
                symbol,
                batch_size,
                results,
                go,
                profile and (profile if len(symbols) == 1 else f"{profile}.{symbol}"),
            ),
        )
        for symbol in symbols
    ]
    for p in procs:
        p.start()
    for _ in procs:
        assert results.get() == "ready"
    started = time.perf_counter()
    go.set()
    reports = sorted((results.get() for _ in procs), key=lambda r: symbols.index(r["symbol"]))
    for p in procs:
        p.join()
    return max(r["finished"] for r in reports) - started, reports


def print_clearing(reports: list[dict[str, Any]], seconds: float, batch: int) -> None:
    """Part 2's table: a row per market (its own clock); for several, a market column and
    a row for all of them (the clock from the start to the last one done, CPU summed)."""
    rows = [
        (
            r["symbol"],
            r["entries"],
            r["trades"],
            r["finished"] - r["started"],
            r["cpu"],
            r["db_cpu"],
        )
        for r in reports
    ]
    if len(rows) > 1:
        entries, trades, cpu, db_cpu = (sum(row[i] for row in rows) for i in (1, 2, 4, 5))
        rows.append(("all", entries, trades, seconds, cpu, db_cpu))
    market = (lambda name: f"{name:>8} ") if len(reports) > 1 else (lambda name: "")
    print(
        market("market") + f"{'entries':>8} {'trades':>8} {'seconds':>8} {'trades/s':>10} "
        f"{'entries/s':>10} {'batch':>6} {'CPU s py':>9} {'CPU s pg':>9} {'trades/CPU s':>13}"
    )
    for symbol, entries, trades, secs, cpu, db_cpu in rows:
        print(
            market(symbol) + f"{entries:>8} {trades:>8} {secs:>8.2f} {trades / secs:>10.0f} "
            f"{entries / secs:>10.0f} {batch:>6} {cpu:>9.2f} {db_cpu:>9.2f} "
            f"{trades / (cpu + db_cpu):>13.0f}"
        )


class Listener:
    """Subscribes to every bench user's channel and counts what arrives, on its own thread."""

    def __init__(self, client: Any) -> None:
        from exchange.accounts.models import User
        from exchange.core.user_channel import user_events_channel

        self.pubsub = client.pubsub(ignore_subscribe_messages=True)
        channels = [user_events_channel(pk) for pk in User.objects.values_list("pk", flat=True)]
        self.pubsub.subscribe(*channels)
        for _ in channels:  # the confirmations: subscribed before clearing starts
            self.pubsub.get_message(timeout=5)
        self.messages = self.bytes = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while not self.stop.is_set():
            message = self.pubsub.get_message(timeout=0.1)
            if message is not None:
                self.messages += 1
                self.bytes += len(message["data"])

    def close(self) -> None:
        """Stop once nothing more arrives for a second."""
        quiet = self.messages, time.monotonic()
        while time.monotonic() - quiet[1] < 1:
            time.sleep(0.1)
            if self.messages != quiet[0]:
                quiet = self.messages, time.monotonic()
        self.stop.set()
        self.thread.join()
        self.pubsub.close()


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def wait_engine(client: Any, symbols: list[str], timeout: float = 600) -> None:
    """Wait until the engine has answered every input entry of the markets."""
    from matching_client import input_stream, output_stream

    deadline = time.monotonic() + timeout
    for symbol in symbols:
        while client.xlen(output_stream(symbol)) < client.xlen(input_stream(symbol)):
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
    parser.add_argument(
        "--markets", type=int, default=1, help="markets cleared at once in part 2, a process each"
    )
    parser.add_argument(
        "--listeners",
        action="store_true",
        help="part 2: a subscriber on every user's channel (every user event is built and sent)",
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
            seed(users=users, markets=args.markets)
            print(
                f"database: {connection.vendor}; redis: {server.url} (AOF everysec); cores: {os.cpu_count()}"
            )
            client = server.client()

            print("\n1. Order entry (LIMIT buys that rest; engine not running)")
            print(
                f"{'workers':>8} {'threads':>8} {'per call':>8} {'orders':>8} {'orders/s':>10} "
                f"{'call p50 ms':>12} {'call p99 ms':>12} "
                f"{'CPU ms/order: py':>17} {'pg':>5} {'redis':>6} {'load':>5}"
            )
            assert server.process is not None
            redis_pid = server.process.pid
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
                    redis_cpu = process_cpu_seconds(redis_pid)
                    seconds, lat, cpu, db_cpu = run_entry(
                        db_url,
                        server.url,
                        w,
                        args.orders // w,
                        "BUY",
                        "10000",
                        batch=batch,
                        threads=t,
                    )
                    redis_cpu = process_cpu_seconds(redis_pid) - redis_cpu
                    n = len(lat) * batch
                    pg = f"{db_cpu / n * 1e3:>5.2f}" if t == 1 else f"{'-':>5}"
                    print(
                        f"{w:>8} {t:>8} {batch:>8} {n:>8} {n / seconds:>10.0f} "
                        f"{pct(lat, 0.5) * 1e3:>12.2f} {pct(lat, 0.99) * 1e3:>12.2f} "
                        f"{cpu / n * 1e3:>17.2f} {pg} {redis_cpu / n * 1e3:>6.2f} "
                        f"{os.getloadavg()[0]:>5.1f}"
                    )

            if 2 not in parts:
                return
            symbols = market_symbols(args.markets)
            print(
                f"\n2. Clearing a backlog: {args.trades} sells crossing the resting buys, "
                f"in {', '.join(symbols)}, one clearing process per market"
            )
            for symbol in symbols[1:]:  # part 1 (or the seeding above) filled BTCUSDT
                place_backlog(symbol, "BUY", args.trades, [0, 1])
            engine = EngineProcess(server.url, Path(tmp) / "engine.log", markets=",".join(symbols))
            engine.start()
            half = args.trades // 2
            run_entry(db_url, server.url, 2, half, "SELL", "10000", first_user=users - 2, batch=10)
            for symbol in symbols[1:]:
                place_backlog(symbol, "SELL", half * 2, [users - 2, users - 1])
            wait_engine(client, symbols)
            load_before = load_average()
            listener = Listener(client) if args.listeners else None
            seconds, reports = clear_backlogs(
                db_url, server.url, symbols, args.batch_size, args.profile
            )
            print_clearing(reports, seconds, args.batch_size)
            if listener is None:
                print("user events: no subscribers, none built (--listeners for a subscriber)")
            else:
                listener.close()
                print(
                    f"user events: {listener.messages} messages, {listener.bytes / 1e6:.1f} MB "
                    "to a subscriber of every user's channel"
                )
            print(f"load average before: {load_before}; after: {load_average()}")

            if 3 not in parts:
                engine.terminate()
                return
            print("\n3. Lag under load: 2 entry workers + engine + clearing (in-process thread)")

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
            reports: list[Any] = []
            # Results are read while sampling: a worker whose report does not fit the
            # pipe's buffer cannot exit before it is read.
            while len(reports) < len(procs):
                time.sleep(0.5)
                while not results.empty():
                    reports.append(results.get())
                last_in = parse_entry_id(last_input_id(client))
                done = parse_entry_id(Checkpoint.objects.get(symbol=SYMBOL).last_entry_id)
                samples.append(
                    len(client.xrange("me:{BTCUSDT}:in", f"{done[0]}-{done[1] + 1}", "+"))
                    if last_in > done
                    else 0
                )
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
