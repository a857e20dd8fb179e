"""Beat's reconciliation keeps a result per asset and halts the markets that asked for it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings

from exchange.audit.models import AuditAction, AuditRecord
from exchange.markets.actions import do_create_market
from exchange.markets.models import Market, MarketStatus
from exchange.reconciliation.models import ReconciliationResult
from exchange.reconciliation.tasks import reconcile_ledger
from exchange.wallets.models import Balance

pytestmark = pytest.mark.django_db


def test_beat_runs_the_reconciliation():
    entry = settings.CELERY_BEAT_SCHEDULE["reconcile"]
    assert entry["task"] == reconcile_ledger.name
    assert entry["schedule"] > 0


def test_clean_ledger_is_recorded_ok_per_asset(btcusdt, make_user, assets, fund):
    fund(make_user(), assets["USDT"], "100")
    assert reconcile_ledger.apply().get() == 0
    results = {r.asset.code: r for r in ReconciliationResult.objects.all()}
    assert set(results) == set(assets)
    assert all(r.ok and not r.violations for r in results.values())
    assert results["USDT"].holdings == results["USDT"].expected == Decimal("100")


def test_drift_is_recorded_and_halts_only_markets_that_opted_in(
    btcusdt, make_user, assets, fund, django_capture_on_commit_callbacks
):
    ethusdt = do_create_market(
        base=assets["ETH"],
        quote=assets["USDT"],
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.001"),
        min_qty=Decimal("0.001"),
        max_qty=Decimal("100"),
        halt_on_drift=True,
    )
    Market.objects.filter(pk=btcusdt.pk).update(halt_on_drift=False)
    user = make_user()
    fund(user, assets["USDT"], "100")
    fund(user, assets["BTC"], "1")
    # given a USDT balance changed behind the ledger's back
    Balance.objects.filter(account__user=user, asset=assets["USDT"]).update(
        available=Decimal("101")
    )
    # when beat's task runs
    with django_capture_on_commit_callbacks(execute=True):
        drifted = reconcile_ledger.apply().get()
    # then USDT is recorded as drifted with its violations, BTC and ETH as ok
    assert drifted == 1
    results = {r.asset.code: r for r in ReconciliationResult.objects.all()}
    usdt = results["USDT"]
    assert not usdt.ok
    assert usdt.holdings == Decimal("101") and usdt.expected == Decimal("100")
    assert {v["check"] for v in usdt.violations} >= {"balance_matches_ledger"}
    assert results["BTC"].ok and results["ETH"].ok
    # and only the market that opted in halted, audited as the system with the reason
    statuses = dict(Market.objects.values_list("symbol", "status"))
    assert statuses == {"BTCUSDT": MarketStatus.TRADING, "ETHUSDT": MarketStatus.HALT}
    assert usdt.halted_markets == ["ETHUSDT"]
    record = AuditRecord.objects.get(action=AuditAction.MARKET_STATUS)
    assert record.actor_id is None and record.target_id == str(ethusdt.pk)
    assert record.reason.startswith("reconciliation drift in USDT")
