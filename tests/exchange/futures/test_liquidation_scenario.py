"""A 20x long liquidated through the real processes: ``runfuturesengine`` (the margin
group's engine) and ``runclearing`` (futures clearing) on the real database.

The numbers are docs/futures.md's worked example ("deep book"), in USDT with 8
decimals: the trader deposits 3,100, buys 1 BTC at 60,000 (taker fee 30), the mark
falls to 57,100 and the long is sold by the engine's IOC liquidation order to the
bid at 57,000, ahead of a user's sell at the same price that was appended right
after the mark: realized -3,000, 70 left, all of it the liquidation fee to the fund.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from exchange.clearing.futures.probe import probe_group
from exchange.clearing.futures.runner import checkpoint_key
from exchange.clearing.models import Checkpoint, DeadLetter
from exchange.core.redis import get_redis
from exchange.futures import units
from exchange.futures.actions import BracketSpec, do_create_contract
from exchange.futures.engine_state import append
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
from exchange.reconciliation.checks import reconcile
from exchange.wallets.models import Balance
from matching_engine.futures.protocol import LIQUIDATION_ID_BASE, encode_mark_price
from matching_engine.protocol import input_stream, output_stream
from tests.test_processes import ROOT, database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

D = Decimal
GROUP = "USDT"


@pytest.fixture
def contract(assets, redis_client) -> Contract:
    return do_create_contract(
        base=assets["BTC"],
        quote=assets["USDT"],
        tick_size=D("0.1"),
        step_size=D("0.001"),
        min_notional=D("5"),
        maker_fee=D("0.0002"),
        taker_fee=D("0.0005"),
        liquidation_fee=D("0.005"),
        brackets=[
            BracketSpec(D("50000"), 125, D("0.004")),
            BracketSpec(D("250000"), 100, D("0.005")),
            BracketSpec(D("1000000000"), 20, D("0.025")),
        ],
    )


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def processes(contract, tmp_path: Path) -> Iterator[None]:
    """The margin group's engine and futures clearing, as ``make run`` starts them."""
    logs = [tmp_path / "engine.log", tmp_path / "clearing.log"]
    argvs = [
        ["runfuturesengine", "--margin-groups", GROUP, "--", "--block-ms", "5"],
        ["runclearing", "--futures", "only", "--report-every", "1"],
    ]
    procs = []
    for argv, log in zip(argvs, logs, strict=True):
        with log.open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", *argv],
                    cwd=ROOT,
                    env=_env(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    try:
        yield
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=30) for proc in procs]
        assert codes == [0, 0], [log.read_text() for log in logs]


def last_input_id() -> str:
    newest = get_redis().xrevrange(input_stream(GROUP), count=1)
    return newest[0][0].decode() if newest else "0-0"


def settle(timeout: float = 60) -> None:
    """Wait until the engine answered every command and clearing applied every answer."""
    client = get_redis()
    deadline = time.monotonic() + timeout
    while True:
        last = last_input_id()
        answered = client.xlen(output_stream(GROUP)) == client.xlen(input_stream(GROUP))
        cleared = Checkpoint.objects.filter(
            symbol=checkpoint_key(GROUP), last_entry_id=last
        ).exists()
        if answered and cleared:
            return
        assert time.monotonic() < deadline, "the engine or clearing did not catch up"
        time.sleep(0.05)


def mark(contract: Contract, price: str) -> None:
    append(
        GROUP,
        encode_mark_price(contract=contract.engine_id, price=units.to_ticks(contract, D(price))),
    )


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


def test_a_20x_long_is_liquidated_before_a_later_order_and_every_unit_is_accounted(
    contract, processes, make_user, assets, fund
):
    usdt = assets["USDT"]
    trader, bidder, seller = make_user(), make_user(), make_user()
    fund(trader, usdt, "3100")
    for user in (bidder, seller):
        fund(user, usdt, "200000")
    # given: collateral moved from spot, a mark, and the trader at 20x long 1 BTC at 60,000
    move_in(trader, "3100")
    move_in(bidder, "100000")
    move_in(seller, "100000")
    mark(contract, "60000")
    set_leverage(user=trader, request=LeverageRequest.parse(symbol="BTCUSDT", leverage="20"))
    order(seller, "SELL", "60000", "1")
    opening = order(trader, "BUY", "60000", "1")
    bid = order(bidder, "BUY", "57000", "2")
    settle()
    assert Balance.objects.get(account__user=trader, asset=usdt).available == 0
    assert FuturesWallet.objects.get(user=trader).balance == D("3070")
    assert Position.objects.get(user=trader).size == D("1")
    # when: the mark falls below the liquidation price (57,165.8), and a user's sell at
    # the bid's price is appended right after it
    mark(contract, "57100")
    late = order(seller, "SELL", "57000", "1")
    settle()
    # then: the liquidation took the bid first, the late sell the rest of it
    trades = list(FuturesTrade.objects.filter(price=D("57000")).order_by("trade_seq"))
    assert [t.taker_order_id >= LIQUIDATION_ID_BASE for t in trades] == [True, False]
    assert trades[1].taker_order_id == late.pk
    assert FuturesOrder.objects.get(pk=bid.pk).status == FuturesOrderStatus.FILLED
    assert FuturesOrder.objects.get(pk=opening.pk).status == FuturesOrderStatus.FILLED
    # and: the trader's income, the fund and the wallets to the last unit
    assert incomes(trader) == {
        IncomeType.TRANSFER: D("3100"),
        IncomeType.COMMISSION: D("-30"),
        IncomeType.REALIZED_PNL: D("-3000"),
        IncomeType.LIQUIDATION_FEE: D("-70"),
    }
    assert FuturesWallet.objects.get(user=trader).balance == 0
    assert Position.objects.get(user=trader).size == 0
    assert InsuranceFund.objects.get(asset=usdt).balance == D("70")
    # the bidder made two fills at 57,000 as maker: 11.4 each
    assert incomes(bidder) == {IncomeType.TRANSFER: D("100000"), IncomeType.COMMISSION: D("-22.8")}
    assert Position.objects.get(user=bidder).size == D("2")
    # the seller: maker at 60,000 (12), taker at 57,000 (28.5)
    assert incomes(seller) == {IncomeType.TRANSFER: D("100000"), IncomeType.COMMISSION: D("-40.5")}
    assert Position.objects.get(user=seller).size == D("-2")
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
