"""The Celery worker's metrics port: tasks received, the broker queue's length (what the
prod overlay's worker HPA scales on) and the reconciliation results.

Served from the worker's main process (``worker_init``): with the prefork pool the
tasks run in children, so counting is done where the main process sees them, as
they are received, and the rest is read when scraped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from celery import Celery
from django.conf import settings
from django.db import connection
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exchange.core import metrics
from exchange.reconciliation.metrics import ReconciliationCollector

logger = logging.getLogger(__name__)

TASKS_RECEIVED = Counter(
    "celery_tasks_received", "Tasks this worker took from the broker, per task.", ["task"]
)
QUEUE = "celery"  # kombu's default queue: a Redis list of that name on the broker


class QueueCollector(Collector):
    """Asks the Redis broker through kombu's own channel (LLEN of the queue's list; an
    empty queue has no list), whatever form the broker URL takes."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        length = GaugeMetricFamily(
            "celery_queue_length", "Tasks waiting in the broker's queue.", labels=["queue"]
        )
        try:
            with self.app.connection_for_read() as conn:
                waiting = conn.default_channel.client.llen(QUEUE)
            length.add_metric([QUEUE], int(waiting))
        except Exception as exc:  # noqa: BLE001 - a scrape reports what it can
            logger.warning("cannot read the broker queue: %s", exc)
        yield length


class DatabaseCollector(ReconciliationCollector):
    """Reads on the metrics server's thread, whose connection is closed after each scrape."""

    def collect(self) -> Iterator[Metric]:
        try:
            yield from super().collect()
        finally:
            connection.close()


def count_received(request: Any = None, **_: Any) -> None:
    TASKS_RECEIVED.labels(task=getattr(request, "name", "") or "unknown").inc()


def serve_worker_metrics(*, app: Celery) -> None:
    metrics.serve(settings.METRICS_PORT, QueueCollector(app), DatabaseCollector())
