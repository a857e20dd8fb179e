"""Celery tasks of the dashboards."""

from __future__ import annotations

import time

from celery import shared_task

from exchange.dashboards.lag_history import record_lag_sample
from exchange.dashboards.pipeline import market_pipeline


@shared_task(ignore_result=True)
def sample_pipeline_lag() -> int:
    """Beat's lag sampler; return the number of streams with a problem (0 logs nothing)."""
    rows = market_pipeline()
    record_lag_sample(rows, at_s=int(time.time()))
    return sum(1 for row in rows if not row.healthy)
