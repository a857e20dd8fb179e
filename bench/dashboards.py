"""How long the trading dashboard's selector takes over a trade table of realistic size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/exchange_bench_dashboards \\
        .venv/bin/python bench/dashboards.py --trades 500000 --markets 4

Creates (and drops) its own database, fills it with ``--trades`` trades spread over
30 days on ``--markets`` markets (one bulk COPY-like insert, no engine), then times
``market_activity`` for each window and the trading page's whole request.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")


def prepare(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", admin, "-qc", sql], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], check=True, cwd=ROOT)


def fill(trades: int, markets: int) -> None:
    from exchange.accounts.models import User
    from exchange.markets.actions import do_create_market
    from exchange.orders.models import Order, Trade
    from exchange.wallets.models import Asset

    quote = Asset.objects.create(code="USDT", name="Tether", precision=8)
    users = [User.objects.create_user(email=f"u{i}@example.com", password="x") for i in range(2)]
    made = []
    for i in range(markets):
        base = Asset.objects.create(code=f"C{i}", name=f"Coin {i}", precision=8)
        made.append(
            do_create_market(
                base=base,
                quote=quote,
                tick_size=Decimal("0.01"),
                step_size=Decimal("0.0001"),
                min_qty=Decimal("0.0001"),
                max_qty=Decimal("1000"),
                min_notional=Decimal("1"),
                maker_fee=Decimal("0.001"),
                taker_fee=Decimal("0.002"),
            )
        )
    order = Order.objects.create(
        user=users[0],
        market=made[0],
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        price=Decimal(1),
        orig_qty=Decimal(1),
        status="FILLED",
        locked_asset=quote,
        locked=Decimal(1),
        locked_remaining=Decimal(0),
    )
    rng = random.Random(7)
    now = datetime.now(tz=UTC)
    batch = []
    for n in range(trades):
        market = made[n % markets]
        price = Decimal(rng.randint(100000, 110000)) / 100
        qty = Decimal(rng.randint(1, 5000)) / 10000
        batch.append(
            Trade(
                market=market,
                trade_id=n,
                price=price,
                qty=qty,
                quote_qty=price * qty,
                maker_order=order,
                taker_order=order,
                maker_user=users[0],
                taker_user=users[1],
                is_buyer_maker=bool(n % 2),
                maker_commission=price * qty / 1000,
                maker_commission_asset=quote,
                taker_commission=qty / 500,
                taker_commission_asset=market.base,
                created_at=now - timedelta(seconds=rng.uniform(0, 30 * 86400)),
            )
        )
        if len(batch) == 10000:
            Trade.objects.bulk_create(batch)
            batch = []
    Trade.objects.bulk_create(batch)
    subprocess.run(["psql", os.environ["DATABASE_URL"], "-qc", "ANALYZE"], check=True)


def timed(label: str, call, runs: int = 3) -> None:
    best = min(_once(call) for _ in range(runs))
    print(f"{label:40} best of {runs}: {best * 1000:8.1f} ms")  # noqa: T201 - a benchmark's output


def _once(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trades", type=int, default=500_000)
    parser.add_argument("--markets", type=int, default=4)
    parser.add_argument("--reuse", action="store_true", help="time the database filled before")
    args = parser.parse_args()
    if not args.reuse:
        prepare(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.test import Client

    from exchange.accounts.models import User
    from exchange.dashboards.activity import WINDOWS, market_activity

    started = time.perf_counter()
    if not args.reuse:
        fill(args.trades, args.markets)
        print(
            f"filled {args.trades} trades on {args.markets} markets in {time.perf_counter() - started:.0f} s"
        )  # noqa: T201
    for name, window in WINDOWS.items():
        timed(f"market_activity({name})", lambda w=window: market_activity(window=w))
    client = Client()
    operator, _ = User.objects.get_or_create(
        email="ops@example.com", is_staff=True, is_superuser=True
    )
    client.force_login(operator)
    timed("GET /admin/dashboards/trading/ (24h)", lambda: client.get("/admin/dashboards/trading/"))
    timed(
        "GET /admin/dashboards/trading/?window=30d",
        lambda: client.get("/admin/dashboards/trading/?window=30d"),
    )


if __name__ == "__main__":
    main()
