"""The exchange platform: Django project and domain apps."""

from exchange.celery import app as celery_app

__all__ = ["celery_app"]
