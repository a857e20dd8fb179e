"""Celery tasks of order entry."""

from __future__ import annotations

from celery import shared_task

from exchange.orders.actions import do_resend_unacknowledged
from exchange.orders.amend import do_settle_lost_amendments
from exchange.orders.client_ids import do_release_client_order_ids
from exchange.orders.countdown import do_fire_expired_countdowns


@shared_task(ignore_result=True)
def resend_unacknowledged_orders() -> int:
    """The sweeper: see do_resend_unacknowledged; it also settles amendments whose
    append failed (do_settle_lost_amendments)."""
    return do_resend_unacknowledged() + do_settle_lost_amendments()


@shared_task(ignore_result=True)
def release_client_order_ids() -> int:
    """Free the client order ids of closed orders past the window: see client_ids."""
    return do_release_client_order_ids()


@shared_task(ignore_result=True)
def fire_cancel_countdowns() -> int:
    """The dead-man's switch: see countdown."""
    return do_fire_expired_countdowns()
