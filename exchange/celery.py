"""Celery application: periodic and background work (sweeper, rollups, reconcile)."""

import os

from celery import Celery
from django.conf import settings

from exchange.core import task_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")

app = Celery("exchange")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
task_logging.install(settings.CELERY_QUIET_TASKS)
