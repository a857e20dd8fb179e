"""A 20x long liquidated through the real processes: ``runfuturesengine`` (the margin
group's engine), ``runclearing`` (futures clearing) and ``runpricefeed`` (every mark
and funding), on the real database. The test appends no MARK_PRICE and no FUNDING: it
moves the index, a local HTTP price source that the feed reads, and the feed does the rest.

The numbers are docs/futures.md's worked example ("through the processes"), in USDT
with 8 decimals: the trader deposits 3,100 and buys 1 BTC at 60,000 (taker fee 30); a
small trade at 57,000 makes the last price lower than any index that follows, so the
feed's mark is the index itself (median of index x (1 + funding estimate), the index,
and the last trade). The feed funds at mark 60,000 and the interest rate (no premium: no
bid above, no ask below the index): the long pays 6 USDT a funding. The index falls to
57,100, the feed's next mark is 57,100 and the long is sold by the engine's IOC
liquidation order to the bid at 57,000, ahead of a user's sell at the same price that
was appended right after that mark: realized -3,000, 70 - 6 x fundings left, all of it
the liquidation fee to the fund.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgpack
import pytest

from exchange.clearing.futures.probe import probe_group
from exchange.clearing.models import DeadLetter
from exchange.core.redis import get_redis
from exchange.futures import units
from exchange.futures.models import (
    Contract,
    FuturesOrder,
    FuturesOrderStatus,
    FuturesTrade,
    FuturesTransfer,
    FuturesWallet,
    Income,
    IncomeType,
    InsuranceFund,
    Position,
    TransferStatus,
)
from exchange.futures.requests import FuturesOrderRequest, LeverageRequest, TransferRequest
from exchange.futures.services import place_futures_order, set_leverage, transfer
from exchange.pricefeed.models import FundingRate
from exchange.reconciliation.checks import reconcile
from exchange.wallets.models import Balance
from matching_engine.futures.protocol import LIQUIDATION_ID_BASE, FuturesCommand, FuturesEvent
from matching_engine.protocol import FIELD, input_stream, output_stream
from tests.exchange.futures.chaos_support import GROUP, last_input_id, process_env, settle
from tests.exchange.futures.support import btc_perpetual
from tests.exchange.pricefeed.support import PriceServer
from tests.test_processes import ROOT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

D = Decimal
USDT = 10**8  # atoms of USDT (precision 8)
FUNDING_INTERVAL_S = 4
RATE_SCALE = 10**8
INTEREST_UNITS = 10_000  # 0.01 % in 10^-8: the funding rate without a premium


@pytest.fixture
def contract(assets, redis_client) -> Contract:
    return btc_perpetual(assets)


@pytest.fixture
def price_server() -> Iterator[PriceServer]:
    server = PriceServer()
    yield server
    server.stop()


class Processes:
    """The margin group's engine, futures clearing and the price feed, as ``make run``
    starts them (the feed with a funding interval of seconds)."""

    def __init__(self, tmp_path: Path, price_url: str) -> None:
        sources = {"BTCUSDT": [{"name": "local", "url": price_url, "weight": "1"}]}
        env = process_env(PRICEFEED_SOURCES=json.dumps(sources))
        argvs = {
            "engine": ["runfuturesengine", "--margin-groups", GROUP, "--", "--block-ms", "5"],
            "clearing": ["runclearing", "--futures", "only", "--report-every", "1"],
            "pricefeed": [
                *("runpricefeed", "--funding-interval-seconds", str(FUNDING_INTERVAL_S)),
                *("--premium-sample-seconds", "1", "--max-index-age-seconds", "2"),
            ],
        }
        self.logs = {name: tmp_path / f"{name}.log" for name in argvs}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        for name, argv in argvs.items():
            with self.logs[name].open("wb") as out:
                self.procs[name] = subprocess.Popen(  # noqa: S603 - our interpreter, manage.py
                    [sys.executable, "manage.py", *argv],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
        self.exits: dict[str, int] = {}

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGTERM)
        self.exits[name] = proc.wait(timeout=30)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)
        assert set(self.exits.values()) == {0}, {n: p.read_text() for n, p in self.logs.items()}


@pytest.fixture
def processes(contract, price_server, tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path, price_server.url)
    try:
        yield started
    finally:
        started.stop_all()


def decoded(stream: str, after: str = "0-0") -> list[tuple[str, list[Any]]]:
    entries = get_redis().xrange(stream, min=f"({after}")
    return [(i.decode(), msgpack.unpackb(f[FIELD])) for i, f in entries]


def wait(what: str, found: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := found()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


def commands(kind: int, after: str = "0-0") -> list[tuple[str, list[Any]]]:
    """The group's input entries of one command kind (decoded: [version, kind, ...])."""
    return [(i, c) for i, c in decoded(input_stream(GROUP), after) if c[1] == kind]


def funding_by_user(contract: Contract) -> tuple[dict[int, int], list[str]]:
    """Each user's funding in atoms, summed over the output stream, and the FUNDING entries
    that moved money; checks every payment against the position it was charged on
    (``size x mark x multiplier x rate``, no rounding needed here) and that each
    FUNDING's payments sum to zero."""
    multiplier = units.multiplier(contract)
    sizes: dict[int, int] = {}
    totals: dict[int, int] = defaultdict(int)
    paid: list[str] = []
    for entry_id, output in decoded(output_stream(GROUP)):
        payments = []
        for event in output[5]:
            if event[0] == FuturesEvent.POSITION:
                sizes[event[1]] = event[3]
            elif event[0] == FuturesEvent.FUNDING:
                _, _, rate, mark, user, amount = event
                assert rate == INTEREST_UNITS
                exact = sizes[user] * mark * multiplier * rate
                assert exact % RATE_SCALE == 0
                assert amount == -exact // RATE_SCALE, (entry_id, event)
                payments.append(amount)
                totals[user] += amount
        if payments:
            assert sum(payments) == 0, (entry_id, output[5])
            paid.append(entry_id)
    return dict(totals), paid


def order(user, side: str, price: str, qty: str) -> FuturesOrder:
    return place_futures_order(
        user=user,
        request=FuturesOrderRequest.parse(
            symbol="BTCUSDT", side=side, type="LIMIT", price=price, quantity=qty
        ),
    )


def move_in(user, amount: str) -> FuturesTransfer:
    return transfer(
        user=user, request=TransferRequest.parse(asset="USDT", amount=amount, direction="IN")
    )


def incomes(user) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for row in Income.objects.filter(user=user):
        out[row.income_type] = out.get(row.income_type, D(0)) + row.amount
    return out


def test_a_20x_long_is_liquidated_by_the_feeds_mark_before_a_later_order_to_the_last_unit(
    contract, processes, price_server, make_user, assets, fund
):
    usdt = assets["USDT"]
    trader, bidder, seller = make_user(), make_user(), make_user()
    fund(trader, usdt, "3100")
    for user in (bidder, seller):
        fund(user, usdt, "200000")
    # given: collateral moved from spot, the trader at 20x, and the feed's marks at the
    # index 60,000 (no trade yet: the mark is the index)
    move_in(trader, "3100")
    move_in(bidder, "100000")
    move_in(seller, "100000")
    set_leverage(user=trader, request=LeverageRequest.parse(symbol="BTCUSDT", leverage="20"))
    first = wait("the feed's first mark", lambda: commands(FuturesCommand.MARK_PRICE), 90)[0]
    assert first[1][2:] == [contract.engine_id, 600_000]
    # and, right after a funding time (the next one is seconds away), the long opens,
    # a small trade at 57,000 leaves the last price below the index, and a bid waits
    since = last_input_id()
    wait("a funding time", lambda: commands(FuturesCommand.FUNDING, since), 30)
    order(seller, "SELL", "60000", "1")
    opening = order(trader, "BUY", "60000", "1")
    order(bidder, "BUY", "57000", "0.001")
    order(seller, "SELL", "57000", "0.001")
    bid = order(bidder, "BUY", "57000", "2")
    opened = last_input_id()
    settle()
    assert Balance.objects.get(account__user=trader, asset=usdt).available == 0
    assert FuturesWallet.objects.get(user=trader).balance == D("3070")
    assert Position.objects.get(user=trader).size == D("1")
    # and the feed funds the positions at its next funding time
    wait(
        "a funding with payments",
        lambda: [
            o
            for _, o in decoded(output_stream(GROUP), opened)
            if o[1] == FuturesCommand.FUNDING and o[5]
        ],
        30,
    )
    # when: the index falls to 57,100, below the long's liquidation price (57,165.8 less
    # what funding took), and a user's sell at the bid's price is appended as soon as the
    # feed's mark is in the input
    price_server.serve("57100")
    liquidating_id, _ = wait(
        "the feed's mark at the new index",
        lambda: [m for m in commands(FuturesCommand.MARK_PRICE) if m[1][3] == 571_000],
        30,
    )[0]
    late = order(seller, "SELL", "57000", "1")
    settle()
    processes.stop("pricefeed")
    settle()

    # then: every mark in the engine's input is the feed's, at the index: 60,000 until
    # the fall, then 57,100, whose first one liquidated the trader (equity 170 USDT less
    # the funding paid, below the maintenance margin 0.5 % x 57,100 - 50 = 235.5)
    marks = commands(FuturesCommand.MARK_PRICE)
    assert {m[1][3] for m in marks} == {600_000, 571_000}
    assert [m[1][3] for m in marks] == sorted((m[1][3] for m in marks), reverse=True)
    answers = dict(decoded(output_stream(GROUP)))
    liquidated = [
        (entry_id, e)
        for entry_id, o in answers.items()
        for e in o[5]
        if e[0] == FuturesEvent.LIQUIDATION
    ]
    funding, paid = funding_by_user(contract)
    fundings_paid_by_trader, rest = divmod(-funding[trader.pk], 6 * USDT)
    assert rest == 0 and 1 <= fundings_paid_by_trader <= 11  # 6 USDT each, at mark 60,000
    assert liquidated == [
        (
            liquidating_id,
            [
                FuturesEvent.LIQUIDATION,
                trader.pk,
                (170 - 6 * fundings_paid_by_trader) * USDT,
                23_550_000_000,  # 235.5 USDT
            ],
        )
    ]
    # and the liquidation took the bid first, the late sell the rest of it
    trades = list(FuturesTrade.objects.filter(price=D("57000"), qty=1).order_by("trade_seq"))
    assert [t.taker_order_id >= LIQUIDATION_ID_BASE for t in trades] == [True, False]
    assert trades[1].taker_order_id == late.pk
    assert FuturesOrder.objects.get(pk=bid.pk).status == FuturesOrderStatus.FILLED
    assert FuturesOrder.objects.get(pk=opening.pk).status == FuturesOrderStatus.FILLED
    # and each funding the feed appended is one FundingRate row at the interest rate,
    # its payments on the positions as they were, summing to zero
    rows = FundingRate.objects.filter(symbol="BTCUSDT")
    assert sorted(rows.values_list("entry_id", flat=True)) == sorted(
        i for i, _ in commands(FuturesCommand.FUNDING)
    )
    assert set(rows.values_list("rate", "mark_price")) <= {
        (D("0.0001"), D(60_000)),
        (D("0.0001"), D(57_100)),
    }
    assert set(paid) <= set(rows.values_list("entry_id", flat=True))
    for user in (trader, bidder, seller):
        assert incomes(user).get(IncomeType.FUNDING_FEE, D(0)) == D(funding[user.pk]) / USDT
    # and the trader's income, the fund and the wallets to the last unit: with one
    # funding paid (the usual run), realized -3,000, commission -30, funding -6, and the
    # 64 left is the liquidation fee
    fee = D(70 - 6 * fundings_paid_by_trader)
    assert incomes(trader) == {
        IncomeType.TRANSFER: D("3100"),
        IncomeType.COMMISSION: D("-30"),
        IncomeType.FUNDING_FEE: D(-6 * fundings_paid_by_trader),
        IncomeType.REALIZED_PNL: D("-3000"),
        IncomeType.LIQUIDATION_FEE: -fee,
    }
    assert FuturesWallet.objects.get(user=trader).balance == 0
    assert Position.objects.get(user=trader).size == 0
    assert InsuranceFund.objects.get(asset=usdt).balance == fee
    # the bidder made three fills at 57,000 as maker: 0.0114, 11.4 and 11.4
    assert incomes(bidder)[IncomeType.COMMISSION] == D("-22.8114")
    assert Position.objects.get(user=bidder).size == D("2.001")
    # the seller: maker at 60,000 (12), taker at 57,000 (0.0285 and 28.5)
    assert incomes(seller)[IncomeType.COMMISSION] == D("-40.5285")
    assert Position.objects.get(user=seller).size == D("-2.001")
    for user in (bidder, seller):
        assert FuturesWallet.objects.get(user=user).balance == sum(incomes(user).values())
    assert not DeadLetter.objects.exists()
    assert reconcile().violations == []
    assert probe_group(GROUP).differences == []
    # when: the seller takes 1,000 USDT back to spot
    back = transfer(
        user=seller,
        request=TransferRequest.parse(asset="USDT", amount="1000", direction="OUT"),
    )
    settle()
    # then: spot is credited only now, once, and every invariant still holds
    assert FuturesTransfer.objects.get(pk=back.pk).status == TransferStatus.DONE
    assert Balance.objects.get(account__user=seller, asset=usdt).available == D("101000")
    assert reconcile().violations == []
    probe = probe_group(GROUP)
    assert (probe.differences, probe.checkpoint) == ([], last_input_id())
