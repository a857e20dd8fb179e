"""Margin calls' cost per mark: one implementation of the formulas against its own copy.

    .venv/bin/python bench/margin_calls.py [--accounts 2000] [--rounds 5] [--before REV]

Uses DATABASE_URL (default: PostgreSQL at 127.0.0.1, database
``exchange_bench_margin_calls``, dropped and re-created) and a private redis-server on
a free loopback port. Seeds, untimed, ``--accounts`` accounts in one margin group with
two contracts: each a cross long of BTC, and every other one an isolated short of ETH
beside it. Then times ``margin_calls`` at a mark where about half the accounts are
called: the code of this tree (``account_summary.figures_of``) and, in the same run,
``exchange/futures/margin_call.py`` as it was at ``--before`` (its own copy of the
formulas), alternating, best of ``--rounds``; checks both call the same accounts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import types
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pipeline import recreate_database, setup_django  # noqa: E402
from tests.matching_engine.servers import RedisServer  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/exchange_bench_margin_calls"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", default="1ca32c9", help="The revision of the old copy.")
    args = parser.parse_args()
    db_url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    recreate_database(db_url)
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp) / "redis")
        server.start()
        try:
            setup_django(db_url, server.url)
            run(args)
        finally:
            server.kill()


def _old_module(rev: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "show", f"{rev}:exchange/futures/margin_call.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("margin_call_before")
    sys.modules[module.__name__] = module  # its dataclasses look themselves up there
    exec(compile(source, "margin_call_before.py", "exec"), module.__dict__)  # noqa: S102
    return module


def run(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    from exchange.accounts.models import User
    from exchange.futures.actions import BracketSpec, do_create_contract
    from exchange.futures.margin_call import margin_calls
    from exchange.futures.models import FuturesWallet, MarginType, Position
    from exchange.wallets.models import Asset

    call_command("migrate", verbosity=0)
    usdt = Asset.objects.create(code="USDT", name="Tether", precision=8)
    brackets = [
        BracketSpec(Decimal("50000"), 125, Decimal("0.004")),
        BracketSpec(Decimal("1000000000"), 20, Decimal("0.025")),
    ]
    btc, eth = (
        do_create_contract(
            base=Asset.objects.create(code=code, name=code, precision=8),
            quote=usdt,
            tick_size=tick,
            step_size=Decimal("0.001"),
            brackets=brackets,
        )
        for code, tick in (("BTC", Decimal("0.1")), ("ETH", Decimal("0.01")))
    )
    users = User.objects.bulk_create(
        [User(email=f"m{i}@bench") for i in range(args.accounts)], batch_size=1000
    )
    FuturesWallet.objects.bulk_create(
        [
            # wallets from 2,500 to 3,500: at the mark below, about half are called
            FuturesWallet(user=u, asset=usdt, balance=Decimal(2500 + i % 1000))
            for i, u in enumerate(users)
        ],
        batch_size=1000,
    )
    positions = [
        Position(user=u, contract=btc, size=Decimal(1), cost=Decimal(60000)) for u in users
    ]
    positions += [
        Position(
            user=u,
            contract=eth,
            size=Decimal(-1),
            cost=Decimal(-3000),
            margin_type=MarginType.ISOLATED,
            isolated_margin=Decimal(300),
        )
        for u in users[::2]
    ]
    Position.objects.bulk_create(positions, batch_size=1000)
    marks = {btc.pk: Decimal(57300), eth.pk: Decimal(3100)}
    before = _old_module(args.before)

    def timed(call: object) -> tuple[float, set[int]]:
        started = time.perf_counter()
        calls = call(asset=usdt, marks=marks, mark_of=lambda c: None)  # type: ignore[operator]
        return time.perf_counter() - started, set(calls)

    best = {"now": float("inf"), "before": float("inf")}
    called: dict[str, set[int]] = {}
    for _ in range(args.rounds):
        for name, call in (("before", before.margin_calls), ("now", margin_calls)):
            seconds, called[name] = timed(call)
            best[name] = min(best[name], seconds)
    assert called["now"] == called["before"], "the two implementations call different accounts"
    print(
        f"accounts {args.accounts} (positions {len(positions)}), called {len(called['now'])}; "
        f"best of {args.rounds}: before {best['before'] * 1000:.1f} ms, "
        f"now {best['now'] * 1000:.1f} ms, ratio now/before {best['now'] / best['before']:.2f}"
    )


if __name__ == "__main__":
    main()
