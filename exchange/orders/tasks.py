"""Celery tasks of order entry."""

from __future__ import annotations

from celery import shared_task

from exchange.orders.actions import do_resend_unacknowledged


@shared_task(ignore_result=True)
def resend_unacknowledged_orders() -> int:
    """The sweeper: see do_resend_unacknowledged."""
    return do_resend_unacknowledged()
