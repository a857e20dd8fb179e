"""In-process cost of one signed ``POST /api/v3/order`` (Django test client, no server).

    .venv/bin/python bench/http_order.py [--orders 2000] [--baseline REV] [--profile]
        [--count 200]

A bot's request exactly: HMAC-SHA256 over the form body, ``X-MBX-APIKEY``, a resting
LIMIT order with ``newOrderRespType=ACK``, one user and one market, rate limits raised.
Measures wall time and the web process's CPU time per order. With ``--baseline REV``
the same measurement runs first on that commit's code (``git archive`` into a temporary
folder), then on the working tree, one child process each, and the ratio is printed:
before and after in one run. ``--profile`` prints the top functions by cumulative time.
Then ``--count`` more orders are counted, which no load changes: Python function calls
(cProfile), SQL statements and Redis round trips (commands or pipelines sent) per order.

Uses DATABASE_URL (default: PostgreSQL at 127.0.0.1, database ``exchange_bench_http``,
dropped and re-created by each child) and REDIS_URL (default: the local server, db 8).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/exchange_bench_http"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"


def recreate_database(db_url: str) -> None:
    import psycopg2

    base, _, name = db_url.rpartition("/")
    conn = psycopg2.connect(f"{base}/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def child(args: argparse.Namespace) -> dict[str, Any]:
    """Set up a market, a funded user and a trading key; time the signed orders."""
    import cProfile
    import hashlib
    import hmac
    import io
    import pstats
    from decimal import Decimal
    from urllib.parse import urlencode

    os.environ["DATABASE_URL"] = args.db
    os.environ["REDIS_URL"] = args.redis
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if args.db.startswith("postgres"):
        recreate_database(args.db)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from exchange.accounts.actions import do_create_api_key
    from exchange.accounts.models import User
    from exchange.accounts.requests import ApiKeyRequest
    from exchange.core.redis import get_redis
    from exchange.markets.actions import do_create_market
    from exchange.wallets.actions import do_credit_deposit
    from exchange.wallets.models import Asset

    settings.BINANCE_WEIGHT_LIMIT_1M = 10**9
    settings.ALLOWED_HOSTS = ["*"]
    get_redis().flushdb()
    call_command("migrate", verbosity=0)
    usdt = Asset.objects.create(code="USDT", name="Tether", precision=8)
    btc = Asset.objects.create(code="BTC", name="Bitcoin", precision=8)
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
    user = User.objects.create_user(email="bench-http@example.com", password=None)
    do_credit_deposit(user=user, asset=usdt, amount="100000000", network="bench", txid="http")
    created = do_create_api_key(
        user=user, request=ApiKeyRequest.parse(label="bench", permissions=["read", "trade"])
    )
    assert created.secret is not None
    secret = created.secret.encode()
    client = Client()

    def order() -> None:
        body = urlencode(
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.001",
                "price": "100.00",
                "newOrderRespType": "ACK",
                "timestamp": int(time.time() * 1000),
            }
        )
        body += "&signature=" + hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
        response = client.post(
            "/api/v3/order",
            data=body,
            content_type="application/x-www-form-urlencoded",
            HTTP_X_MBX_APIKEY=created.api_key.key,
        )
        assert response.status_code == 200, response.content

    for _ in range(args.warmup):
        order()
    profiler = cProfile.Profile() if args.profile else None
    walls = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for _ in range(args.orders):
        t0 = time.perf_counter()
        order()
        walls.append(time.perf_counter() - t0)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    walls.sort()
    counts = count_per_order(order, args.count)
    profile = ""
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(120)
        profile = out.getvalue()
    return {
        "orders": args.orders,
        "orders_per_s": args.orders / wall,
        "wall_ms": wall / args.orders * 1000,
        "cpu_ms": cpu / args.orders * 1000,
        "p50_ms": walls[len(walls) // 2] * 1000,
        "p99_ms": walls[int(len(walls) * 0.99)] * 1000,
        "load": os.getloadavg()[0],
        "profile": profile,
        **counts,
    }


def count_per_order(order: Any, orders: int) -> dict[str, float]:
    """What one order costs whatever the machine's load: Python function calls, SQL
    statements and Redis round trips (one per command or pipeline sent), counted over
    ``orders`` more orders under cProfile."""
    import cProfile
    import pstats

    from django.db import connection

    statements = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    profiler = cProfile.Profile()
    with connection.execute_wrapper(count):
        profiler.enable()
        for _ in range(orders):
            order()
        profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    sends = sum(v[1] for (_, _, name), v in stats.items() if name == "send_packed_command")
    return {
        "calls": sum(v[1] for v in stats.values()) / orders,
        "queries": statements / orders,
        "round_trips": sends / orders,
    }


def run_child(tree: Path, argv: list[str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, str(tree / "bench" / "http_order.py"), "--child", *argv],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.splitlines()[-1])
    return result


def line(name: str, r: dict[str, Any]) -> str:
    return (
        f"| {name} | {r['orders_per_s']:,.0f}/s | {r['wall_ms']:.2f} ms | {r['cpu_ms']:.2f} ms | "
        f"{r['p50_ms']:.2f} / {r['p99_ms']:.2f} ms | {r['calls']:,.0f} | {r['queries']:.2f} | "
        f"{r['round_trips']:.2f} | {r['load']:.1f} |"
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--orders", type=int, default=2000)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--db", default=os.environ.get("DATABASE_URL", DEFAULT_DB))
    p.add_argument("--redis", default=os.environ.get("REDIS_URL", DEFAULT_REDIS))
    p.add_argument("--baseline", default="", help="a commit to measure first, for the ratio")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--count", type=int, default=200, help="orders counted after the timed ones")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    argv = [
        f"--orders={args.orders}",
        f"--warmup={args.warmup}",
        f"--db={args.db}",
        f"--redis={args.redis}",
        f"--count={args.count}",
        *(["--profile"] if args.profile else []),
    ]
    runs: dict[str, dict[str, Any]] = {}
    if args.baseline:
        with tempfile.TemporaryDirectory() as tmp:
            archive = subprocess.run(
                ["git", "archive", args.baseline], cwd=ROOT, capture_output=True, check=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            # The baseline's own bench may predate this script: run this one against it.
            (Path(tmp) / "bench" / "http_order.py").write_text(Path(__file__).read_text())
            runs[f"before ({args.baseline})"] = run_child(Path(tmp), argv)
    runs["after (working tree)"] = run_child(ROOT, argv)
    print(f"{args.orders} signed POST /api/v3/order (LIMIT, ACK) in process, {args.db}")
    print()
    print(
        "| code | orders/s | wall per order | web CPU per order | p50 / p99 "
        "| Python calls per order | SQL per order | Redis round trips per order | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in runs.items():
        print(line(name, r))
    if len(runs) == 2:
        before, after = runs.values()
        print()
        print(
            f"after / before: {after['orders_per_s'] / before['orders_per_s']:.2f}x orders/s, "
            f"CPU per order {before['cpu_ms'] / after['cpu_ms']:.2f}x less, "
            f"Python calls per order {before['calls'] / after['calls']:.3f}x fewer"
        )
    for name, r in runs.items():
        if r["profile"]:
            print(f"\n## profile: {name}\n{r['profile']}")


if __name__ == "__main__":
    main()
