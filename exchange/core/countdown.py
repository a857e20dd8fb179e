"""The dead-man's switch mechanism shared by spot and futures: a deadline row per user and
market (or contract) that fires once when it passes unrenewed.

The deadline is a database row, not a timer in a process, so it survives a restart of
any process. Celery beat calls ``fire_due`` twice a second: due rows are taken
``FOR UPDATE SKIP LOCKED`` (two workers never fire the same one), and each row is
deleted in the transaction that records or sends its cancels, so it fires once.
Binance's ``countdownCancelAll`` has the same contract (``countdownTime`` in ms, 0 stops).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone

MAX_COUNTDOWN_MS = 24 * 3600 * 1000

Row = TypeVar("Row", bound=models.Model)


def valid_countdown(countdown_ms: object) -> bool:
    return type(countdown_ms) is int and 0 <= countdown_ms <= MAX_COUNTDOWN_MS


def set_countdown(
    model: type[models.Model], *, countdown_ms: int, now: dt.datetime | None, **key: Any
) -> dt.datetime | None:
    """Start or renew the countdown of ``key`` (``countdown_ms`` from now), or stop it with
    0; returns the deadline (None when stopped). ``countdown_ms`` is already valid."""
    if countdown_ms == 0:
        model._default_manager.filter(**key).delete()
        return None
    deadline = (now or timezone.now()) + dt.timedelta(milliseconds=countdown_ms)
    model._default_manager.update_or_create(defaults={"deadline": deadline}, **key)
    return deadline


def fire_due(
    model: type[Row],
    *,
    fire: Callable[[Row, dt.datetime], bool],
    now: dt.datetime | None = None,
    limit: int = 500,
    related: tuple[str, ...] = (),
) -> int:
    """Call ``fire`` on each row past its deadline and delete the rows it handled (it
    returns False to keep a row for the next run); returns how many fired."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            model._default_manager.select_for_update(skip_locked=True)
            .select_related(*related)
            .filter(deadline__lte=now)
            .order_by("deadline")[:limit]
        )
        fired = [row.pk for row in due if fire(row, now)]
        model._default_manager.filter(pk__in=fired).delete()
    return len(fired)
