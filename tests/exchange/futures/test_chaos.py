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
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgpack
import pytest
from django.conf import settings

from exchange.clearing.futures.probe import probe_group
from exchange.clearing.futures.runner import checkpoint_key
from exchange.clearing.models import Checkpoint, DeadLetter
from exchange.core.errors import DomainError
from exchange.core.redis import get_redis
from exchange.futures import units
from exchange.futures.engine_state import append, send_contract_state
from exchange.futures.models import (
    Contract,
    FuturesOrder,
    FuturesTransfer,
    FuturesWallet,
    Income,
    IncomeType,
    InsuranceFund,
    Position,
    TransferStatus,
)
from exchange.futures.requests import FuturesOrderRequest, LeverageRequest, TransferRequest
from exchange.futures.services import place_futures_order, resend_pending, set_leverage, transfer
from exchange.reconciliation.checks import reconcile
from matching_engine.futures.engine import MarginGroup
from matching_engine.futures.protocol import FuturesEvent, encode_mark_price
from matching_engine.protocol import FIELD, input_stream, output_stream, snapshot_key
from matching_engine.snapshot import Snapshot
from tests.chaos.processes import Supervised
from tests.exchange.futures.support import btc_perpetual
from tests.test_processes import database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.timeout(300)]

D = Decimal
GROUP = "USDT"
ROUNDS = 4
TRADERS = 8
MID = D("60000")
COLLATERAL = D("3300")
RESUMED = re.compile(r"USDT: resuming after (\S+) \((\d+) processed\)")


def report(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - the seed and the figures are the test's report


def last_input_id() -> str:
    newest = get_redis().xrevrange(input_stream(GROUP), count=1)
    return newest[0][0].decode() if newest else "0-0"


def settle(procs: list[Supervised], timeout: float = 60) -> None:
    """Until the engine answered every command and clearing applied every answer."""
    client = get_redis()
    deadline = time.monotonic() + timeout
    while True:
        for proc in procs:
            proc.reap()  # raises ProcessDied: they never end on their own
        last = last_input_id()
        answered = client.xlen(output_stream(GROUP)) == client.xlen(input_stream(GROUP))
        cleared = Checkpoint.objects.filter(
            symbol=checkpoint_key(GROUP), last_entry_id=last
        ).exists()
        if answered and cleared:
            return
        assert time.monotonic() < deadline, "the engine or clearing did not catch up"
        time.sleep(0.05)


class Flow:
    """Random futures order flow through the services, with crashes of both processes."""

    def __init__(self, rng: random.Random, contract: Contract, procs: list[Supervised]) -> None:
        self.rng = rng
        self.contract = contract
        self.procs = procs
        self.down: dict[Supervised, float] = {}
        self.kills: list[tuple[str, str]] = []  # (process, last input ID when it died)
        self.rejections = 0

    def mark(self, price: Decimal) -> None:
        ticks = units.to_ticks(self.contract, price)
        append(GROUP, encode_mark_price(contract=self.contract.engine_id, price=ticks))

    def order(self, user: Any, side: str, price: Decimal, qty: str, tif: str = "GTC") -> None:
        request = FuturesOrderRequest.parse(
            symbol="BTCUSDT",
            side=side,
            type="LIMIT",
            price=str(price),
            quantity=qty,
            time_in_force=tif,
        )
        try:
            place_futures_order(user=user, request=request)
        except DomainError:
            self.rejections += 1

    def move(self, user: Any, amount: str, direction: str) -> None:
        request = TransferRequest.parse(asset="USDT", amount=amount, direction=direction)
        try:
            transfer(user=user, request=request)
        except DomainError:
            self.rejections += 1

    def top_up(self, user: Any, amount: Decimal) -> None:
        """Move in what the (cleared) futures wallet lacks of ``amount``."""
        wallet = FuturesWallet.objects.filter(user=user).values_list("balance", flat=True)
        lacking = amount - (wallet.first() or D(0))
        if lacking > 0:
            self.move(user, str(lacking), "IN")

    def kill(self, proc: Supervised) -> None:
        """SIGKILL a process that is past its start-up (a kill during Django's start-up
        would test nothing: it has not read a stream yet)."""
        if proc.ready():
            proc.kill()
            self.kills.append((proc.name, last_input_id()))
            self.down[proc] = time.monotonic() + self.rng.uniform(0.05, 0.8)

    def tick(self, *, kills: bool = True) -> None:
        """Restart what is due, and now and then kill a process at a random moment."""
        now = time.monotonic()
        for proc, at in list(self.down.items()):
            if at <= now:
                del self.down[proc]
                proc.start()
        if kills and self.rng.random() < 0.05:
            self.kill(self.rng.choice(self.procs))

    def wait_ready(self, proc: Supervised, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not proc.ready():
            self.tick(kills=False)
            assert time.monotonic() < deadline, f"{proc.name} did not start:\n{proc.tail()}"
            time.sleep(0.02)

    def restart_all(self) -> None:
        for proc in list(self.down):
            del self.down[proc]
            proc.start()


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
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "exchange.settings",
        "PYTHONUNBUFFERED": "1",
    }
    manage = [sys.executable, "manage.py"]
    # what runfuturesengine execs once it announced the contracts (done here once)
    assert send_contract_state(contract)
    engine_argv = [
        *(sys.executable, "-m", "matching_engine", "--redis", settings.REDIS_URL),
        *("--margin-groups", GROUP, "--block-ms", "5", "--snapshot-every", "15"),
        *("--log-level", "INFO"),
    ]
    engine = Supervised(
        "engine",
        lambda life: engine_argv,
        env=env,
        log_dir=tmp_path,
        ready_line="USDT: resuming after",
    )
    clearing = Supervised(
        "clearing",
        lambda life: [*manage, "runclearing", "--futures", "only", "--report-every", "1"],
        env=env,
        log_dir=tmp_path,
        ready_line="clearing futures:USDT",
    )
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
            for trader in traders:  # collateral for one 20x BTC: liquidated 5 % lower
                flow.top_up(trader, COLLATERAL)
            # traders open longs (and some shorts) at 20x against the maker's quotes
            for trader in traders:
                side = "BUY" if rng.random() < 0.75 else "SELL"
                price = MID + D(rng.randint(-20, 20))
                flow.order(maker, "SELL" if side == "BUY" else "BUY", price, "1")
                flow.order(trader, side, price, "1", "IOC")
                flow.tick()
            # and bids a little lower that liquidation orders can sell into
            for step in range(1, 4):
                flow.order(maker, "BUY", MID * D("0.96") - step * 50, "0.4")
                flow.order(maker, "SELL", MID * D("1.04") + step * 50, "0.4")
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

    # then: the engine answered every input entry exactly once, across its lives
    inputs = redis_client.xrange(input_stream(GROUP))
    outputs = redis_client.xrange(output_stream(GROUP))
    assert [i for i, _ in outputs] == [i for i, _ in inputs]
    # and each answer is byte for byte what an engine that never died writes
    reference = MarginGroup(GROUP)
    stored = {entry_id: fields[FIELD] for entry_id, fields in outputs}
    at_kill: dict[str, int] = {}
    kill_ids = {kill_id for _, kill_id in flow.kills}
    liquidations, insurance, differences = 0, 0, []
    for entry_id, fields in inputs:
        if entry_id.decode() in kill_ids:
            at_kill[entry_id.decode()] = open_positions(reference)  # as the entry arrived
        answer = reference.apply(fields[FIELD])
        if answer != stored[entry_id]:
            differences.append(entry_id.decode())
        kinds = [event[0] for event in msgpack.unpackb(answer)[5]]
        liquidations += kinds.count(FuturesEvent.LIQUIDATION)
        insurance += kinds.count(FuturesEvent.INSURANCE)
    assert differences == []
    reference.validate_internal_state()
    # and the state the engine saved on its clean stop is the replay's: positions,
    # margins, wallets and the insurance fund
    saved = Snapshot.decode(redis_client.get(snapshot_key(GROUP))).market
    assert isinstance(saved, MarginGroup)
    assert summary(saved) == summary(reference)
    assert saved.state_hash() == reference.state_hash()
    # and the run did what it is for: engine kills with positions open and a liquidating
    # MARK_PRICE not yet answered, liquidations, restarts that loaded a snapshot
    engine_kills = [kill_id for name, kill_id in flow.kills if name == "engine"]
    unanswered = [kill_id for kill_id in engine_kills if kill_id in liquidating_marks]
    resumed = [
        int(n)
        for life in range(2, engine.lives + 1)
        for _, n in RESUMED.findall(engine.log_path(life).read_text())
    ]
    report(
        f"kills {flow.kills}; open positions at each kill {at_kill}; liquidations "
        f"{liquidations}, insurance moves {insurance}; engine lives {engine.lives}, resumed "
        f"after {resumed} processed; {len(inputs)} input entries, {flow.rejections} refused; "
        f"open positions at the end {Position.objects.exclude(size=0).count()}"
    )
    assert liquidations >= ROUNDS and unanswered
    assert any(name == "clearing" for name, _ in flow.kills)
    assert any(at_kill.get(kill_id, 0) > 0 for kill_id in unanswered)
    assert any(n > 0 for n in resumed)

    # and the database agrees with it, and the ledger reconciles
    assert probe_group(GROUP).differences == []
    assert reconcile().violations == []
    assert not DeadLetter.objects.exists()
    assert not FuturesOrder.objects.filter(accepted=False).exists()
    assert not FuturesTransfer.objects.filter(status=TransferStatus.PENDING).exists()
    fund_row = InsuranceFund.objects.filter(asset=usdt).values_list("balance", flat=True)
    assert (fund_row.first() or D(0)) == units.amount_of_asset(usdt, reference.insurance)
    # and each position's running realized PnL (Binance's cr) is its booked realized PnL
    # (fills, liquidations, ADL): clearing killed mid-run neither doubled nor lost any
    booked: dict[tuple[int, int], Decimal] = {}
    for key in Income.objects.filter(income_type=IncomeType.REALIZED_PNL).values_list(
        "user_id", "contract_id", "amount"
    ):
        booked[key[:2]] = booked.get(key[:2], D(0)) + key[2]
    running = Position.objects.exclude(realized_pnl=0).values_list(
        "user_id", "contract_id", "realized_pnl"
    )
    assert {(u, c): r for u, c, r in running} == {k: v for k, v in booked.items() if v}


def open_positions(group: MarginGroup) -> int:
    return sum(1 for a in group.accounts.values() for p in a.positions.values() if p.size)


def summary(group: MarginGroup) -> dict[str, object]:
    """Positions (size, cost, leverage, isolated, margin), wallets and the fund, readable."""
    return {
        "insurance": group.insurance,
        "fees": group.fees,
        "wallets": {u: a.wallet for u, a in sorted(group.accounts.items())},
        "positions": {
            (u, cid): (p.size, p.cost, p.leverage, p.isolated, p.margin)
            for u, a in sorted(group.accounts.items())
            for cid, p in sorted(a.positions.items())
        },
    }
