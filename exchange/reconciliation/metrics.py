"""Prometheus figures of the kept reconciliation results, read from the database when
scraped (the Celery worker serves them: it runs the checks)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exchange.reconciliation.selectors import reconciliation_latest_per_asset


class ReconciliationCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        ok = GaugeMetricFamily(
            "reconciliation_ok",
            "1 when the asset's last reconciliation found its ledger invariants held, else 0.",
            labels=["asset"],
        )
        checked = GaugeMetricFamily(
            "reconciliation_checked_timestamp_seconds",
            "When the asset was last reconciled (Unix time).",
            labels=["asset"],
        )
        for result in reconciliation_latest_per_asset():
            ok.add_metric([result.asset.code], 1 if result.ok else 0)
            checked.add_metric([result.asset.code], result.checked_at.timestamp())
        yield from (ok, checked)
