"""Reconcile finds futures drift: each invariant fails on the row that breaks it."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from exchange.clearing.futures.probe import probe_group
from exchange.clearing.futures.runner import GroupClearer
from exchange.futures.models import FuturesWallet, InsuranceFund, Position
from exchange.futures.requests import TransferRequest
from exchange.futures.services import transfer
from exchange.reconciliation.checks import reconcile
from tests.exchange.futures.support import GROUP, InProcessEngine, btc_perpetual

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cleared(assets, redis_client, make_user, fund):
    contract = btc_perpetual(assets)
    users = [make_user(), make_user()]
    for user in users:
        fund(user, assets["USDT"], "500")
        transfer(
            user=user, request=TransferRequest.parse(asset="USDT", amount="500", direction="IN")
        )
    InProcessEngine().run()
    GroupClearer(GROUP, block_ms=1, stop=threading.Event()).step()
    assert reconcile().violations == []
    return contract, users


def checks() -> set[str]:
    return {v.check for v in reconcile().violations}


def test_a_wallet_that_is_not_its_income_is_found(cleared):
    _, (user, _) = cleared
    assert probe_group(GROUP).differences == []
    FuturesWallet.objects.filter(user=user).update(balance=D("500.00000001"))
    assert {"futures_wallet_matches_income", "futures_conservation"} <= checks()
    # and the engine probe names the user and the atom
    assert probe_group(GROUP).differences == [
        f"user {user.pk}: wallet 50000000001 != engine 50000000000 atoms"
    ]
    with pytest.raises(CommandError, match="1 difference"):
        call_command("probefutures", "--group", "usdt")


def test_longs_that_do_not_equal_shorts_are_found(cleared):
    contract, (user, _) = cleared
    Position.objects.create(user=user, contract=contract, size=D("0.001"), cost=D("0"))
    assert "futures_longs_equal_shorts" in checks()


def test_a_fund_the_ledger_does_not_hold_is_found(cleared, assets):
    InsuranceFund.objects.create(asset=assets["USDT"], balance=D("1"))
    assert {
        "futures_conservation",
        "futures_pnl_sums_to_zero",
        "futures_collateral_matches_ledger",
    } <= checks()
