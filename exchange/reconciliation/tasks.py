"""Celery tasks of reconciliation."""

from __future__ import annotations

from celery import shared_task

from exchange.reconciliation.actions import do_record_reconciliation


@shared_task(ignore_result=True)
def reconcile_ledger() -> int:
    """Beat's scheduled check (``RECONCILE_EVERY_SECONDS``); returns the assets that drifted."""
    return sum(not result.ok for result in do_record_reconciliation())
