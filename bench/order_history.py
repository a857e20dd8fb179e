"""The order readers with closed orders in their history table, against one table (ADR 0050).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/exchange_bench_order_history \\
        .venv/bin/python bench/order_history.py --orders 100000 --rounds 3

Creates (and drops) its own database and fills ``orders_order`` with ``--orders``
orders of one trader over 60 days (a hundred of them open, the rest closed, ids
released), other traders' orders as many again. Each round times the readers with
every order in ``orders_order`` and the single-table queries the readers ran before
ADR 0050 ("before"), then moves the closed orders with ``do_move_closed_orders``
(timed), vacuums, times the readers of this branch ("after"), and moves the orders back for
the next round: before and after alternate in one run. Reads: the native list's
first page (100), ``/api/v3/allOrders`` for one week, and ``access_order`` by id of
an open order (the path of every cancel).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
OPEN = 100


def prepare(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", admin, "-qc", sql], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], check=True, cwd=ROOT)


def fill(orders: int) -> tuple[object, object]:
    from exchange.accounts.models import User
    from exchange.markets.actions import do_create_market
    from exchange.orders.models import Order
    from exchange.retention.months import Month, months_between
    from exchange.retention.partitions import CLOSED_ORDERS, create_partition
    from exchange.wallets.models import Asset

    now = datetime.now(tz=UTC)
    for month in months_between(Month.of(now - timedelta(days=61)), Month.of(now)):
        create_partition(CLOSED_ORDERS, month)
    quote = Asset.objects.create(code="USDT", name="Tether", precision=8)
    base = Asset.objects.create(code="BTC", name="Bitcoin", precision=8)
    market = do_create_market(
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
    users = [User.objects.create_user(email=f"u{i}@example.com", password="x") for i in range(8)]
    rng = random.Random(7)
    batch = []
    for n in range(2 * orders):
        user = users[0] if n % 2 == 0 else users[1 + n % 7]
        is_open = n < 2 * OPEN
        created = now - timedelta(seconds=rng.uniform(0, 60 * 86400))
        batch.append(
            Order(
                user=user,
                market=market,
                client_order_id=f"c{n}",
                side="BUY",
                type="LIMIT",
                time_in_force="GTC",
                price=Decimal(rng.randint(100000, 110000)) / 100,
                orig_qty=Decimal(1),
                executed_qty=Decimal(0) if is_open else Decimal(1),
                status="NEW" if is_open else "FILLED",
                locked_asset=quote,
                locked=Decimal(1000),
                locked_remaining=Decimal(1000) if is_open else Decimal(0),
                created_at=created,
                accepted_at=created,
                done_at=None if is_open else created + timedelta(seconds=5),
                client_id_released=not is_open,
            )
        )
        if len(batch) == 10000:
            Order.objects.bulk_create(batch)
            batch = []
    Order.objects.bulk_create(batch)
    return users[0], market


def move_back() -> None:
    """Put the moved orders back into orders_order, for the next "before"."""
    from django.db import connection, transaction

    from exchange.orders.models import ClosedOrder, Order

    names = [f.column for f in Order._meta.concrete_fields if f.column]
    columns = ", ".join(connection.ops.quote_name(name) for name in names)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Order._meta.db_table} ({columns})"  # noqa: S608 - a benchmark's own tables
            f" SELECT {columns} FROM {ClosedOrder._meta.db_table}"
        )
        cursor.execute(f"DELETE FROM {ClosedOrder._meta.db_table}")  # noqa: S608


def analyze() -> None:
    """Vacuum as autovacuum would after a big move: a moved order leaves a dead row behind."""
    subprocess.run(["psql", os.environ["DATABASE_URL"], "-qc", "VACUUM ANALYZE"], check=True)


def best_ms(call: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    prepare(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.db.models import Q

    from exchange.orders.closed_orders import do_move_closed_orders
    from exchange.orders.history import order_history_for_user
    from exchange.orders.models import Order
    from exchange.orders.selectors import access_order, order_list

    started = time.perf_counter()
    trader, market = fill(args.orders)
    analyze()
    print(f"filled {2 * args.orders} orders in {time.perf_counter() - started:.0f} s")  # noqa: T201
    week_end = datetime.now(tz=UTC) - timedelta(days=20)
    week = (week_end - timedelta(days=7), week_end)
    open_id = Order.objects.filter(user=trader, status="NEW").values_list("pk", flat=True)[0]
    one_table = Order.objects.filter(user=trader).select_related("market", "locked_asset")
    before: dict[str, Callable[[], object]] = {
        "native list, first page": lambda: list(one_table.order_by("-pk")[:101]),
        "allOrders, one week": lambda: list(
            one_table.filter(
                market=market, created_at__gte=week[0], created_at__lte=week[1]
            ).order_by("pk")[:500]
        ),
        "order by id (cancel's read)": lambda: one_table.filter(Q(pk=open_id)).first(),
    }
    after: dict[str, Callable[[], object]] = {
        "native list, first page": lambda: order_list(user=trader),
        "allOrders, one week": lambda: order_history_for_user(
            user=trader,
            market=market,
            start_ms=int(week[0].timestamp() * 1000),
            end_ms=int(week[1].timestamp() * 1000),
        ),
        "order by id (cancel's read)": lambda: access_order(user=trader, order_id=open_id),
    }
    rows = []
    for round_ in range(1, args.rounds + 1):
        times = {name: best_ms(read) for name, read in before.items()}
        started = time.perf_counter()
        moved = do_move_closed_orders(now=datetime.now(tz=UTC) + timedelta(days=8))
        seconds = time.perf_counter() - started
        analyze()
        rows.append(
            (round_, "move", f"{moved} orders in {seconds:.1f} s ({moved / seconds:.0f}/s)")
        )
        for name, read in after.items():
            ms = best_ms(read)
            rows.append(
                (round_, name, f"{times[name]:.2f} ms -> {ms:.2f} ms ({ms / times[name]:.2f})")
            )
        move_back()
        analyze()
    print("| round | read | before -> after (after / before) |")  # noqa: T201
    print("|---|---|---|")  # noqa: T201
    for round_, name, text in rows:
        print(f"| {round_} | {name} | {text} |")  # noqa: T201


if __name__ == "__main__":
    main()
