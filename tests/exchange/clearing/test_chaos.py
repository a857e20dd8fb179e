"""Chaos (issue 4): random order flow while the engine, clearing and order entry die and restart.

Three real processes - the matching engine, ``manage.py runclearing`` and an
order-entry worker (tests/chaos/order_worker.py) - are each SIGKILLed at
random moments and restarted while random orders and cancels from many
users flow through two markets; the sweeper runs as Celery beat would. Once
the streams drain, the database must agree with the engine's output exactly.

CHAOS_ACTIONS sets the number of order and cancel actions (default 20000),
CHAOS_SEED replays a run (the seed is printed).

The last test pins down, deterministically, a crash-window bug the chaos run
found: a cancel that overtook its order's lost PLACE was dropped, and the
sweeper's later PLACE brought the order to life. A cancel now re-sends the
PLACE of an order the engine has not answered, just before the CANCEL.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from exchange.accounts.models import User
from exchange.clearing.models import DeadLetter
from exchange.markets.actions import do_create_market
from exchange.markets.models import Market
from exchange.orders.actions import do_cancel_order, do_resend_unacknowledged, place_order
from exchange.orders.models import OPEN_STATUSES, Order, OrderStatus, Trade
from exchange.orders.requests import CancelRequest, OrderRequest
from exchange.reconciliation.checks import reconcile
from tests.chaos.audit import (
    EngineOutput,
    db_trades,
    engine_output,
    order_mismatches,
    replay_differences,
)
from tests.chaos.supervisor import ChaosConfig, ChaosRun
from tests.chaos.world import FUNDING, MARKETS, SYMBOLS
from tests.pipeline import drain, running_engine
from tests.test_processes import database_url

ACTIONS = int(os.environ.get("CHAOS_ACTIONS", "20000"))
USERS = 60
KILLS_PER_PROCESS = 10
CHAOS_TIMEOUT_S = 60 + ACTIONS * 0.05
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.timeout(int(CHAOS_TIMEOUT_S) + 1200),
]


def report(text: str) -> None:
    """Shown with -s, and by pytest with the captured output of a failure."""
    print(text, flush=True)  # noqa: T201 - the seed and the figures are the test's report


@pytest.fixture
def markets(assets) -> dict[str, Market]:
    return {
        spec.symbol: do_create_market(
            base=assets[spec.base],
            quote=assets[spec.quote],
            tick_size=spec.tick_size,
            step_size=spec.step_size,
            min_qty=spec.min_qty,
            max_qty=spec.max_qty,
            min_notional=spec.min_notional,
            maker_fee=spec.maker_fee,
            taker_fee=spec.taker_fee,
        )
        for spec in MARKETS
    }


@pytest.fixture
def traders(assets, fund) -> list[int]:
    ids = []
    for n in range(USERS):
        user = User.objects.create_user(email=f"trader{n}@chaos.example.com")  # no password
        for code, amount in FUNDING.items():
            fund(user, assets[code], amount)
        ids.append(user.pk)
    return ids


def overtaken(market: Market, out: EngineOutput) -> list[tuple[int, str]]:
    """(order, status) of orders whose cancel was requested before the engine saw them."""
    requested = Order.objects.filter(market=market, cancel_requested_at__isnull=False)
    return [
        (oid, status)
        for oid, status, at in requested.values_list("id", "status", "cancel_requested_at")
        if oid in out.orders and at.timestamp() * 1000 < out.orders[oid].first_place_ms
    ]


def test_orders_survive_sigkill_of_engine_clearing_and_order_entry(
    redis_client, markets, traders, tmp_path
):
    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(2**32))
    report(f"\nchaos seed {seed} (CHAOS_SEED={seed} replays it), {ACTIONS} actions")
    # given two markets, USERS funded users, and the engine, clearing and worker processes
    config = ChaosConfig(
        actions=ACTIONS,
        kills_per_process=KILLS_PER_PROCESS,
        symbols=SYMBOLS,
        user_ids=tuple(traders),
        database_url=database_url(),
        snapshot_every=max(100, ACTIONS // 40),
        # about KILLS_PER_PROCESS crashes right between an order's commit and its PLACE append
        crash_share=1.5 * KILLS_PER_PROCESS / ACTIONS,
        timeout_s=CHAOS_TIMEOUT_S,
    )
    chaos = ChaosRun(config, seed=seed, workdir=tmp_path)
    started = time.monotonic()
    try:
        # when each process is SIGKILLed at KILLS_PER_PROCESS random moments and restarted
        chaos.run()
        chaos_s = time.monotonic() - started
        chaos.worker.stop()
        # and the streams drain, the sweeper re-sending what never reached the engine
        rounds = chaos.settle()
        settle_s = time.monotonic() - started - chaos_s
    finally:
        exits = chaos.stop()
    records = chaos.progress.records()
    rejections = Counter(r[1] for r in records if r[0] in ("p", "c"))
    report(
        f"kills {chaos.kills}, worker crashes after commit {chaos.worker_crashes}, "
        f"worker seeds {chaos.worker_seeds}; {chaos.sweeps} sweeps "
        f"during chaos, {rounds} final sweep rounds; chaos {chaos_s:.1f}s, settle {settle_s:.1f}s"
        f"\nactions {dict(Counter(r[0] for r in records))}, entry rejections {dict(rejections)}"
    )

    # then the engine and clearing still shut down cleanly
    assert exits["engine"] == 0 and exits["clearing"] == 0, exits
    # and every order that entry accepted is in the database
    accepted = {int(r[1]) for r in records if r[0] in ("P", "K")}
    assert accepted - set(Order.objects.values_list("pk", flat=True)) == set()
    # and the ledger reconciles, with nothing parked
    result = reconcile()
    assert result.ok, "\n".join(map(str, result.violations[:50]))
    assert not DeadLetter.objects.exists(), list(DeadLetter.objects.values("entry_id", "error"))
    for symbol, market in markets.items():
        out = engine_output(redis_client, symbol)
        resent = sum(len(facts.place_results) > 1 for facts in out.orders.values())
        report(
            f"{symbol}: {len(out.input_ids)} input entries, {len(out.orders)} orders "
            f"({resent} sent again by the sweeper), {len(out.trades)} trades; cancels that "
            f"were requested before the engine saw the order: {overtaken(market, out)}"
        )
        # and such a cancel is never lost: the order ended (canceled, or filled before it)
        assert all(status not in OPEN_STATUSES for _, status in overtaken(market, out))
        # and the engine answered every input entry once across its restarts, with
        # exactly the bytes an engine that never crashed writes
        assert out.output_ids == out.input_ids
        assert replay_differences(redis_client, symbol) == []
        # and the database holds exactly the engine's trades, each once
        engine_trades = sorted(out.trades)
        assert [t[0] for t in engine_trades] == list(range(1, len(engine_trades) + 1))
        assert db_trades(market) == engine_trades
        # and every order's status, executed quantity, quote, trade count and lock agree
        problems = order_mismatches(market, out)
        assert not problems, f"{len(problems)} mismatches:\n" + "\n".join(problems[:40])
    # and no finished order holds funds
    finished = Order.objects.exclude(status__in=OPEN_STATUSES)
    assert not finished.filter(locked_remaining__gt=0).exists()
    # and after its kills the engine resumed from a snapshot, replaying only the rest
    resumed = chaos.engine_resumes_from_snapshot()
    assert all(resumed[s] > 0 for s in SYMBOLS), resumed
    statuses = Counter(Order.objects.values_list("status", flat=True))
    report(f"order statuses {dict(statuses)}; {time.monotonic() - started:.1f}s in all")


class EntryCrash(Exception):
    """Order entry dying between its commit and its PLACE append."""


def crash() -> None:
    raise EntryCrash


def test_a_cancel_requested_before_a_lost_place_reaches_the_engine_is_kept(
    redis_client, make_user, assets, fund, btcusdt
):
    alice, bob = make_user(), make_user()
    fund(alice, assets["BTC"], "1")
    fund(bob, assets["USDT"], "10000")
    with running_engine(["BTCUSDT"]):
        # given bob's resting bid, committed by order entry, which dies before the append
        with pytest.raises(EntryCrash), transaction.atomic():
            transaction.on_commit(crash)  # runs before order entry's own append callback
            place_order(
                user=bob,
                request=OrderRequest.parse(
                    symbol="BTCUSDT", side="BUY", type="LIMIT", price="59000", quantity="0.1"
                ),
            )
        bid = Order.objects.get(user=bob)
        # and bob cancels it: entry accepts the request and the CANCEL reaches the engine
        do_cancel_order(user=bob, request=CancelRequest.parse(symbol="BTCUSDT", order_id=bid.pk))
        drain("BTCUSDT")
        bid.refresh_from_db()
        # when the sweeper runs once the order is old enough to re-send but its cancel is not
        older_than = timezone.now() - (
            bid.created_at + (bid.cancel_requested_at - bid.created_at) / 2
        )
        do_resend_unacknowledged(older_than=older_than, backoff=dt.timedelta(0))
        drain("BTCUSDT")
        # and alice sells at bob's price
        place_order(
            user=alice,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="SELL", type="LIMIT", price="59000", quantity="0.1"
            ),
        )
        drain("BTCUSDT")
    # then bob's canceled bid did not trade
    bid.refresh_from_db()
    assert (bid.status, bid.executed_qty) == (OrderStatus.CANCELED, Decimal(0))
    assert not Trade.objects.exists()
