"""Futures chaos (issue 16): the futures engine dies with open positions and a liquidation
in progress, and futures clearing dies too; the restarted engine (snapshot + replay of
the input after it) must reach exactly the state of an engine that never died.

Real processes: ``runfuturesengine`` (snapshots every few commands, so restarts load
one and replay the rest) and ``runclearing --futures only``, both SIGKILLed as a crash
would and restarted after a random pause. Order entry and transfers go through the
services in the test process. Each round traders open 20x positions against a maker,
the mark falls far enough to liquidate some of them (the engine is killed right after
that MARK_PRICE is appended, before or while it handles it), and comes back.

At the end the whole input stream is replayed through a fresh in-memory margin group:
every stored output entry must be byte-identical to the replay's, and the engine's
final snapshot must hold the same positions, margins, wallets and insurance fund.
CHAOS_SEED replays a run (the seed is printed).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest

from exchange.futures.engine_state import send_contract_state
from exchange.futures.models import Position
from exchange.futures.requests import LeverageRequest
from exchange.futures.services import resend_pending, set_leverage
from matching_engine.futures.protocol import FuturesEvent
from tests.exchange.futures.chaos_support import (
    MID,
    Flow,
    check_engine_and_database,
    clearing_process,
    engine_process,
    last_input_id,
    process_env,
    replay_group,
    report,
    settle,
)
from tests.exchange.futures.support import btc_perpetual

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.timeout(300)]

ROUNDS = 4
TRADERS = 8
D = Decimal
RESUMED = re.compile(r"USDT: resuming after (\S+) \((\d+) processed\)")


def test_futures_engine_killed_during_a_liquidation_restarts_to_the_same_state(
    assets, fund, make_user, redis_client, tmp_path: Path
):
    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(2**32))
    report(f"\nfutures chaos seed {seed} (CHAOS_SEED={seed} replays it)")
    rng = random.Random(seed)
    contract = btc_perpetual(assets)
    usdt = assets["USDT"]
    maker, traders = make_user(), [make_user() for _ in range(TRADERS)]
    fund(maker, usdt, "5000000")
    for trader in traders:
        fund(trader, usdt, "40000")
    # what runfuturesengine does before it execs the engine (done here once)
    assert send_contract_state(contract)
    env = process_env()
    engine, clearing = engine_process(env, tmp_path), clearing_process(env, tmp_path)
    flow = Flow(rng, contract, [engine, clearing])
    liquidating_marks: list[str] = []
    engine.start()
    clearing.start()
    try:
        # given: collateral in, a mark, 20x leverage and a deep maker
        flow.move(maker, "4000000", "IN")
        for trader in traders:
            set_leverage(
                user=trader, request=LeverageRequest.parse(symbol="BTCUSDT", leverage="20")
            )
        for rnd in range(ROUNDS):
            flow.mark(MID)
            # traders open longs (and some shorts) at 20x, the maker bids lower
            flow.open_round(maker, traders)
            # when: the mark falls below the longs' liquidation price and the engine dies
            # right after the MARK_PRICE is appended (mostly before it answered it)
            flow.wait_ready(engine)
            flow.mark(MID * D("0.945") - rng.randint(0, 300))
            liquidating_marks.append(last_input_id())
            time.sleep(rng.choice((0, 0, 0.002, 0.01)))
            flow.kill(engine)
            flow.tick()
            # and the mark comes back, some money moves, the maker pulls nothing
            flow.mark(MID)
            for trader in rng.sample(traders, 3):
                flow.move(trader, str(rng.randint(50, 400)), rng.choice(("IN", "OUT")))
                flow.tick()
            if rnd % 2:
                flow.wait_ready(clearing)
                flow.kill(clearing)
            report(f"round {rnd}: kills so far {len(flow.kills)}")
        flow.restart_all()
        settle([engine, clearing])
        resend_pending(older_than=dt.timedelta(0))
        settle([engine, clearing])
    finally:
        flow.restart_all()
        exits = {proc.name: proc.stop() for proc in (engine, clearing)}
    assert exits == {"engine": 0, "clearing": 0}, exits

    # then: the engine answered every input entry exactly once, across its lives, each
    # answer byte for byte what an engine that never died writes, its saved state that
    # engine's, and the database the engine's, reconciled
    replay = replay_group(redis_client, watch={k.last_input for k in flow.kills})
    check_engine_and_database(redis_client, replay, usdt)
    # and the run did what it is for: engine kills with positions open and a liquidating
    # MARK_PRICE not yet answered, liquidations, restarts that loaded a snapshot
    engine_kills = [k.last_input for k in flow.kills if k.process == "engine"]
    unanswered = [kill_id for kill_id in engine_kills if kill_id in liquidating_marks]
    resumed = [
        int(n)
        for life in range(2, engine.lives + 1)
        for _, n in RESUMED.findall(engine.log_path(life).read_text())
    ]
    liquidations = replay.count(FuturesEvent.LIQUIDATION)
    report(
        f"kills {[(k.process, k.last_input) for k in flow.kills]}; open positions at each "
        f"kill {replay.open_at}; liquidations {liquidations}, insurance moves "
        f"{replay.count(FuturesEvent.INSURANCE)}; engine lives {engine.lives}, resumed after "
        f"{resumed} processed; {len(replay.events)} input entries, {flow.rejections} refused; "
        f"open positions at the end {Position.objects.exclude(size=0).count()}"
    )
    assert liquidations >= ROUNDS and unanswered
    assert any(k.process == "clearing" for k in flow.kills)
    assert any(replay.open_at.get(kill_id, 0) > 0 for kill_id in unanswered)
    assert any(n > 0 for n in resumed)
