"""Celery tasks of futures."""

from __future__ import annotations

from celery import shared_task

from exchange.futures.services import resend_pending


@shared_task(ignore_result=True)
def resend_pending_futures_commands() -> int:
    """The futures sweeper: see ``services.resend_pending``."""
    return resend_pending()
