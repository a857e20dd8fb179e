"""Celery tasks of stream and history retention."""

from __future__ import annotations

from celery import shared_task

from exchange.retention.archive import archive_expired
from exchange.retention.closed_order_months import move_closed_orders_into_months
from exchange.retention.partitions import create_partitions_ahead
from exchange.retention.trim import trim_streams


@shared_task(ignore_result=True)
def trim_market_streams() -> int:
    """Beat's trimmer (see trim_streams); return the number of entries deleted."""
    return sum(trim.deleted for trim in trim_streams())


@shared_task(ignore_result=True)
def create_history_partitions() -> int:
    """Beat's partition keeper (see create_partitions_ahead); return how many it created."""
    return len(create_partitions_ahead())


@shared_task(ignore_result=True)
def archive_old_history() -> int:
    """Beat's archiver (see archive_expired); return how many months it archived."""
    return len(archive_expired())


@shared_task(ignore_result=True)
def move_closed_orders() -> int:
    """Beat's closed-order mover (see move_closed_orders_into_months); return how many moved."""
    return move_closed_orders_into_months()
