"""Celery application: periodic and background work (sweeper, rollups, reconcile)."""

import os

from celery import Celery
from celery.signals import task_received, worker_init
from django.conf import settings

from exchange.core import task_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")

app = Celery("exchange")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
task_logging.install(settings.CELERY_QUIET_TASKS)


@worker_init.connect
def _serve_metrics(**kwargs: object) -> None:
    # Imported once the worker starts: the apps are ready by then, not at this import.
    from exchange.worker_metrics import count_received, serve_worker_metrics

    task_received.connect(count_received, weak=False)
    serve_worker_metrics(app=app)
