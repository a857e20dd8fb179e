"""Celery tasks of stream retention."""

from __future__ import annotations

from celery import shared_task

from exchange.retention.trim import trim_streams


@shared_task(ignore_result=True)
def trim_market_streams() -> int:
    """Beat's trimmer (see trim_streams); return the number of entries deleted."""
    return sum(trim.deleted for trim in trim_streams())
