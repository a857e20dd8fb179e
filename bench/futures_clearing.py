"""Futures clearing throughput: a margin group's output cleared into the database.

    .venv/bin/python bench/futures_clearing.py [--trades 10000] [--users 200]
        [--batch-size 1000]

Uses DATABASE_URL (default: PostgreSQL at 127.0.0.1, database
``exchange_bench_futures``, dropped and re-created) and a private redis-server on a
free loopback port. Builds the backlog untimed: funded users with their transfers
in, then resting sells and crossing market buys of 0.001 BTC on BTCUSDT (every buy
one trade, both sides' commission and a position change), their order rows written
in bulk and their commands answered by the margin group run in process (the same
state machine as the engine process, same output bytes). Then times
``GroupClearer.step`` until the checkpoint reaches the last entry: entries, trades
and income rows per second, one process, as ``runclearing`` runs a group.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pipeline import recreate_database, setup_django  # noqa: E402
from tests.matching_engine.servers import RedisServer  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/exchange_bench_futures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trades", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--profile", default="", help="Write a cProfile of the clearing here.")
    args = parser.parse_args()
    db_url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    recreate_database(db_url)
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp) / "redis", appendfsync="everysec")
        server.start()
        try:
            setup_django(db_url, server.url)
            run(args)
        finally:
            server.kill()


def run(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    from exchange.accounts.models import User
    from exchange.clearing.checkpoint import checkpoint_of
    from exchange.clearing.futures.runner import GroupClearer
    from exchange.core.redis import get_redis
    from exchange.futures.actions import BracketSpec, do_create_contract
    from exchange.futures.engine_commands import place_command
    from exchange.futures.models import (
        FuturesOrder,
        FuturesOrderType,
        FuturesTimeInForce,
        FuturesTrade,
        Income,
        OrderSide,
    )
    from exchange.futures.requests import TransferRequest
    from exchange.futures.services import transfer
    from exchange.reconciliation.checks import reconcile
    from exchange.wallets.actions import do_credit_deposit
    from exchange.wallets.models import Asset
    from matching_engine.futures.engine import MarginGroup
    from matching_engine.futures.protocol import encode_mark_price
    from matching_engine.protocol import FIELD, input_stream, output_stream

    call_command("migrate", verbosity=0)
    usdt = Asset.objects.create(code="USDT", name="Tether", precision=8)
    btc = Asset.objects.create(code="BTC", name="Bitcoin", precision=8)
    contract = do_create_contract(
        base=btc,
        quote=usdt,
        tick_size=Decimal("0.1"),
        step_size=Decimal("0.001"),
        brackets=[BracketSpec(Decimal("1000000000"), 125, Decimal("0.004"))],
    )
    users = [User.objects.create_user(email=f"f{i}@bench") for i in range(args.users)]
    for user in users:
        do_credit_deposit(user=user, asset=usdt, amount="1000000", network="b", txid=f"b{user.pk}")
        transfer(
            user=user, request=TransferRequest.parse(asset="USDT", amount="1000000", direction="IN")
        )
    client = get_redis()
    client.xadd(
        input_stream("USDT"), {FIELD: encode_mark_price(contract=contract.engine_id, price=600_000)}
    )
    half = len(users) // 2
    rows = []
    for i in range(args.trades):
        seller, buyer = users[i % half], users[half + i % half]
        rows.append(
            FuturesOrder(
                user=seller,
                contract=contract,
                client_order_id=f"s{i}",
                side=OrderSide.SELL,
                type=FuturesOrderType.LIMIT,
                time_in_force=FuturesTimeInForce.GTC,
                price=Decimal("60000"),
                quantity=Decimal("0.001"),
            )
        )
        rows.append(
            FuturesOrder(
                user=buyer,
                contract=contract,
                client_order_id=f"b{i}",
                side=OrderSide.BUY,
                type=FuturesOrderType.MARKET,
                time_in_force=FuturesTimeInForce.IOC,
                quantity=Decimal("0.001"),
            )
        )
    FuturesOrder.objects.bulk_create(rows, batch_size=5000)
    orders = FuturesOrder.objects.select_related("contract__margin_asset").order_by("pk")
    pipe = client.pipeline(transaction=False)
    for n, order in enumerate(orders.iterator(chunk_size=5000), start=1):
        pipe.xadd(input_stream("USDT"), {FIELD: place_command(order)})
        if n % 5000 == 0:
            pipe.execute()
    pipe.execute()
    group = MarginGroup("USDT")
    pipe = client.pipeline(transaction=False)
    for entry_id, fields in client.xrange(input_stream("USDT")):
        pipe.xadd(output_stream("USDT"), {FIELD: group.apply(fields[FIELD])}, id=entry_id)
    pipe.execute()
    last = client.xrevrange(output_stream("USDT"), count=1)[0][0].decode()
    entries = client.xlen(output_stream("USDT"))
    clearer = GroupClearer("USDT", batch_size=args.batch_size, block_ms=1, stop=threading.Event())
    profile = cProfile.Profile() if args.profile else None
    cpu0, t0 = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    while checkpoint_of(clearer.symbol) != last:
        clearer.step()
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    trades, incomes = FuturesTrade.objects.count(), Income.objects.count()
    ok = not reconcile().violations
    print(f"entries {entries}, trades {trades}, income rows {incomes}, batch {args.batch_size}")
    print(
        f"cleared in {elapsed:.2f} s: {entries / elapsed:,.0f} entries/s, "
        f"{trades / elapsed:,.0f} trades/s, {incomes / elapsed:,.0f} income rows/s; "
        f"clearing CPU {cpu:.2f} s; reconcile {'ok' if ok else 'FAILED'}"
    )


if __name__ == "__main__":
    main()
