"""What the futures chaos tests share: the supervised engine and clearing, the order flow
that opens 20x positions and kills processes, settling, and the end checks.

The end checks are the same whatever was killed: the engine answered every input entry
once, each answer byte-identical to an engine that never died (the whole input replayed
through a fresh margin group), the engine's saved state equal to that replay's, and the
database equal to the engine (probe) and reconciled.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgpack
import redis
from django.conf import settings

from exchange.clearing.futures.probe import probe_group
from exchange.clearing.futures.runner import checkpoint_key
from exchange.clearing.models import Checkpoint, DeadLetter
from exchange.core.errors import DomainError
from exchange.core.redis import get_redis
from exchange.futures import units
from exchange.futures.engine_state import append
from exchange.futures.models import (
    FUTURES_OPEN_STATUSES,
    Contract,
    FuturesOrder,
    FuturesTransfer,
    FuturesWallet,
    Income,
    IncomeType,
    InsuranceFund,
    OrderSide,
    Position,
    TransferStatus,
)
from exchange.futures.requests import FuturesOrderRequest, TransferRequest
from exchange.futures.services import cancel_futures_order, place_futures_order, transfer
from exchange.reconciliation.checks import reconcile
from exchange.wallets.models import Asset
from matching_engine.futures.engine import MarginGroup
from matching_engine.futures.protocol import encode_mark_price
from matching_engine.protocol import FIELD, input_stream, output_stream, snapshot_key
from matching_engine.snapshot import Snapshot
from tests.chaos.processes import Supervised
from tests.test_processes import database_url

D = Decimal
GROUP = "USDT"
MID = D("60000")
COLLATERAL = D("3300")  # for one 20x BTC at MID: liquidated about 5 % lower


def report(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - the seed and the figures are the test's report


def now_ms() -> int:
    return int(time.time() * 1000)


def entry_ms(entry_id: str) -> int:
    return int(entry_id.split("-", 1)[0])


def last_input_id() -> str:
    newest = get_redis().xrevrange(input_stream(GROUP), count=1)
    return newest[0][0].decode() if newest else "0-0"


def process_env(**extra: str) -> dict[str, str]:
    """The environment of every process of the run: this test's database and Redis."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "exchange.settings",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def engine_process(env: dict[str, str], log_dir: Path) -> Supervised:
    """The margin group's engine as ``runfuturesengine`` execs it (announce the contracts
    first), snapshotting every few commands so restarts load one and replay the rest."""
    argv = [
        *(sys.executable, "-m", "matching_engine", "--redis", settings.REDIS_URL),
        *("--margin-groups", GROUP, "--block-ms", "5", "--snapshot-every", "15"),
        *("--log-level", "INFO"),
    ]
    return Supervised(
        "engine", lambda life: argv, env=env, log_dir=log_dir, ready_line="USDT: resuming after"
    )


def clearing_process(env: dict[str, str], log_dir: Path) -> Supervised:
    return Supervised(
        "clearing",
        lambda life: [
            *(sys.executable, "manage.py", "runclearing", "--futures", "only"),
            *("--report-every", "1"),
        ],
        env=env,
        log_dir=log_dir,
        ready_line="clearing futures:USDT",
    )


def answered() -> bool:
    """Has the engine answered every input entry?"""
    client = get_redis()
    return bool(client.xlen(output_stream(GROUP)) == client.xlen(input_stream(GROUP)))


def caught_up() -> bool:
    """Has the engine answered every input entry and clearing applied every answer?"""
    last = last_input_id()
    cleared = Checkpoint.objects.filter(symbol=checkpoint_key(GROUP), last_entry_id=last)
    return answered() and cleared.exists()


def settle(procs: Sequence[Supervised] = (), timeout: float = 60) -> None:
    """Until the engine answered every command and clearing applied every answer."""
    deadline = time.monotonic() + timeout
    while True:
        for proc in procs:
            proc.reap()  # raises ProcessDied: they never end on their own
        if caught_up():
            return
        assert time.monotonic() < deadline, "the engine or clearing did not catch up"
        time.sleep(0.05)


@dataclass(frozen=True)
class Kill:
    process: str
    last_input: str  # the group's last input entry when it died
    at_ms: int


class Flow:
    """Random futures order flow through the services, with crashes of the processes."""

    def __init__(self, rng: random.Random, contract: Contract, procs: list[Supervised]) -> None:
        self.rng = rng
        self.contract = contract
        self.procs = procs  # the ones ``tick`` kills at random
        self.down: dict[Supervised, float] = {}
        self.kills: list[Kill] = []
        self.refusals: Counter[str] = Counter()  # by error code, at entry

    @property
    def rejections(self) -> int:
        return sum(self.refusals.values())

    def mark(self, price: Decimal) -> None:
        """Append a MARK_PRICE as the price feed would (for runs without the feed)."""
        ticks = units.to_ticks(self.contract, price)
        append(GROUP, encode_mark_price(contract=self.contract.engine_id, price=ticks))

    def order(self, user: Any, side: str, price: Decimal, qty: str, tif: str = "GTC") -> None:
        request = FuturesOrderRequest.parse(
            symbol=self.contract.symbol,
            side=side,
            type="LIMIT",
            price=str(price),
            quantity=qty,
            time_in_force=tif,
        )
        try:
            place_futures_order(user=user, request=request)
        except DomainError as exc:
            self.refusals[exc.code] += 1

    def move(self, user: Any, amount: str, direction: str) -> None:
        request = TransferRequest.parse(asset="USDT", amount=amount, direction=direction)
        try:
            transfer(user=user, request=request)
        except DomainError as exc:
            self.refusals[exc.code] += 1

    def top_up(self, user: Any, amount: Decimal) -> None:
        """Move in what the (cleared) futures wallet lacks of ``amount``."""
        wallet = FuturesWallet.objects.filter(user=user).values_list("balance", flat=True)
        lacking = amount - (wallet.first() or D(0))
        if lacking > 0:
            self.move(user, str(lacking), "IN")

    def open_round(self, maker: Any, traders: list[Any]) -> None:
        """Traders open 1 BTC at 20x (mostly longs) against the maker's quotes near MID,
        then the maker bids a little lower, where liquidation orders can sell."""
        for trader in traders:
            self.top_up(trader, COLLATERAL)
        for trader in traders:
            side = "BUY" if self.rng.random() < 0.75 else "SELL"
            price = MID + D(self.rng.randint(-20, 20))
            self.order(maker, "SELL" if side == "BUY" else "BUY", price, "1")
            self.order(trader, side, price, "1", "IOC")
            self.tick()
        for step in range(1, 4):
            self.order(maker, "BUY", MID * D("0.96") - step * 50, "0.4")
            self.order(maker, "SELL", MID * D("1.04") + step * 50, "0.4")

    def pull_offers(self, maker: Any) -> None:
        """Cancel the maker's open sell orders (as far as clearing has recorded them)."""
        offers = FuturesOrder.objects.filter(
            user=maker, side=OrderSide.SELL, status__in=FUTURES_OPEN_STATUSES
        ).values_list("pk", flat=True)
        for order_id in list(offers):
            try:
                cancel_futures_order(user=maker, order_id=order_id)
            except DomainError as exc:
                self.refusals[exc.code] += 1

    def kill(self, proc: Supervised, *, down_s: tuple[float, float] = (0.05, 0.8)) -> bool:
        """SIGKILL a process that is past its start-up (a kill during Django's start-up
        would test nothing: it has not read a stream yet); restart it after ``down_s``."""
        if not proc.ready():
            return False
        proc.kill()
        self.kills.append(Kill(proc.name, last_input_id(), now_ms()))
        self.down[proc] = time.monotonic() + self.rng.uniform(*down_s)
        return True

    def tick(self, *, kills: bool = True) -> None:
        """Restart what is due, and now and then kill a process at a random moment."""
        now = time.monotonic()
        for proc, at in list(self.down.items()):
            if at <= now:
                del self.down[proc]
                proc.start()
        if kills and self.rng.random() < 0.05:
            self.kill(self.rng.choice(self.procs))

    def wait_ready(self, proc: Supervised, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not proc.ready():
            self.tick(kills=False)
            assert time.monotonic() < deadline, f"{proc.name} did not start:\n{proc.tail()}"
            time.sleep(0.02)

    def restart_all(self) -> None:
        for proc in list(self.down):
            del self.down[proc]
            proc.start()


@dataclass
class Replay:
    """The whole input replayed through a fresh margin group: an engine that never died."""

    reference: MarginGroup
    differences: list[str]  # input entries whose stored answer differs from the replay's
    events: dict[str, list[Any]] = field(default_factory=dict)  # entry id -> its events
    open_at: dict[str, int] = field(default_factory=dict)  # open positions as it arrived

    def count(self, kind: int) -> int:
        return sum(1 for events in self.events.values() for e in events if e[0] == kind)


def replay_group(client: redis.Redis, *, watch: Collection[str] = ()) -> Replay:
    """Replay every input entry and compare each answer with the stored one, byte for byte;
    ``watch``: entry ids at which to count the open positions (as the entry arrived)."""
    inputs = client.xrange(input_stream(GROUP))
    outputs = client.xrange(output_stream(GROUP))
    assert [i for i, _ in outputs] == [i for i, _ in inputs], "not one answer per input entry"
    stored = {entry_id: fields[FIELD] for entry_id, fields in outputs}
    replay = Replay(MarginGroup(GROUP), [])
    for entry_id, fields in inputs:
        key = entry_id.decode()
        if key in watch:
            replay.open_at[key] = open_positions(replay.reference)
        answer = replay.reference.apply(fields[FIELD])
        if answer != stored[entry_id]:
            replay.differences.append(key)
        replay.events[key] = msgpack.unpackb(answer)[5]
    replay.reference.validate_internal_state()
    return replay


def check_engine_and_database(client: redis.Redis, replay: Replay, margin: Asset) -> None:
    """After a clean stop of the engine: its answers are the replay's, its saved state
    (positions, margins, wallets, insurance fund) too, and the database is the engine's,
    reconciled, with nothing left unanswered."""
    assert replay.differences == []
    saved = Snapshot.decode(client.get(snapshot_key(GROUP))).market
    assert isinstance(saved, MarginGroup)
    assert summary(saved) == summary(replay.reference)
    assert saved.state_hash() == replay.reference.state_hash()
    assert probe_group(GROUP).differences == []
    assert reconcile().violations == []
    assert not DeadLetter.objects.exists()
    assert not FuturesOrder.objects.filter(accepted=False).exists()
    assert not FuturesTransfer.objects.filter(status=TransferStatus.PENDING).exists()
    fund_row = InsuranceFund.objects.filter(asset=margin).values_list("balance", flat=True)
    assert (fund_row.first() or D(0)) == units.amount_of_asset(margin, replay.reference.insurance)
    # and each position's running realized PnL (Binance's cr) is its booked realized PnL
    # (fills, liquidations, ADL): clearing killed mid-run neither doubled nor lost any
    booked: dict[tuple[int, int], Decimal] = {}
    for user, contract, amount in Income.objects.filter(
        income_type=IncomeType.REALIZED_PNL
    ).values_list("user_id", "contract_id", "amount"):
        booked[user, contract] = booked.get((user, contract), D(0)) + amount
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
