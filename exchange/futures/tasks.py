"""Celery tasks of futures."""

from __future__ import annotations

from celery import shared_task

from exchange.futures.countdown import do_fire_expired_futures_countdowns
from exchange.futures.isolated_margin import settle_lost_margin_changes
from exchange.futures.modify import settle_lost_amendments
from exchange.futures.services import resend_pending


@shared_task(ignore_result=True)
def resend_pending_futures_commands() -> int:
    """The futures sweeper: see ``services.resend_pending``; it also settles modifies and
    isolated-margin changes whose append failed (``modify.settle_lost_amendments``,
    ``isolated_margin.settle_lost_margin_changes``)."""
    return resend_pending() + settle_lost_amendments() + settle_lost_margin_changes()


@shared_task(ignore_result=True)
def fire_futures_cancel_countdowns() -> int:
    """The futures dead-man's switch: see ``countdown``."""
    return do_fire_expired_futures_countdowns()
