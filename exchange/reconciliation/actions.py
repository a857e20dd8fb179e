"""The scheduled reconciliation: check, keep the result per asset, halt on drift if asked."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from exchange.audit.actions import Operator
from exchange.markets.actions import do_set_market_status
from exchange.markets.models import Market, MarketStatus
from exchange.reconciliation.checks import reconcile
from exchange.reconciliation.models import ReconciliationResult
from exchange.wallets.models import Asset

logger = logging.getLogger(__name__)


def do_record_reconciliation() -> list[ReconciliationResult]:
    """Run every invariant check once and store one result per asset.

    An asset that drifted halts the trading markets on it that have
    ``halt_on_drift`` set (audited as the system, with the drift as the reason);
    the others keep trading and the result, the log and the metric say so.
    """
    report = reconcile()
    by_asset: dict[str, list[dict[str, str]]] = defaultdict(list)
    for v in report.violations:
        by_asset[v.asset].append({"check": v.check, "account": v.account, "detail": v.detail})
    assets = {a.code: a for a in Asset.objects.all()}
    now = timezone.now()
    results = []
    with transaction.atomic():
        for summary in report.summaries:
            problems = by_asset.get(summary.asset, [])
            halted = [] if not problems else _halt_on_drift(assets[summary.asset], problems)
            results.append(
                ReconciliationResult.objects.create(
                    checked_at=now,
                    asset=assets[summary.asset],
                    ok=not problems,
                    holdings=summary.holdings,
                    expected=summary.expected,
                    violations=problems,
                    halted_markets=halted,
                )
            )
    drifted = [r.asset.code for r in results if not r.ok]
    if drifted:
        logger.error("reconciliation: drift in %s", ", ".join(drifted))
    return results


def _halt_on_drift(asset: Asset, problems: list[dict[str, str]]) -> list[str]:
    markets = Market.objects.filter(
        Q(base=asset) | Q(quote=asset), halt_on_drift=True, status=MarketStatus.TRADING
    )
    reason = f"reconciliation drift in {asset.code}: {problems[0]['check']}"
    halted = []
    for market in markets:
        do_set_market_status(
            symbol=market.symbol, status=MarketStatus.HALT, operator=Operator(reason=reason)
        )
        halted.append(market.symbol)
        logger.error("reconciliation: halted %s (%s)", market.symbol, reason)
    return halted
