"""How long a client order id stays taken: while its order is open and for a window after.

A bot that lost the answer to an order (a connection error, a web process
killed between commit and answer) sends it again with the same client order
id. The unique constraint ``order_client_id_unique_held`` refuses the second
insert in the database, whichever web process it reaches and whatever crashed
in between (ADR 0028); ``retries.place_order_once`` then answers the retry with
the first order. The constraint holds while ``client_id_released`` is false:
this module's sweep sets it for closed orders older than the window, so an id
can be used again after ``ORDER_CLIENT_ID_WINDOW_HOURS`` (24 by default).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from exchange.orders.models import OPEN_STATUSES, Order

RELEASE_BATCH = 10_000


def client_id_window() -> dt.timedelta:
    return dt.timedelta(hours=float(settings.ORDER_CLIENT_ID_WINDOW_HOURS))


def do_release_client_order_ids(
    *, now: dt.datetime | None = None, limit: int = RELEASE_BATCH
) -> int:
    """Free the client order ids of closed orders created before the window; returns how many.

    Reads the held orders through the partial index ``order_client_id_held`` in
    creation order, at most ``limit`` per call (the Celery beat runs it every minute).
    """
    cutoff = (now or timezone.now()) - client_id_window()
    ids = list(
        Order.objects.filter(client_id_released=False, created_at__lt=cutoff)
        .exclude(status__in=OPEN_STATUSES)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return Order.objects.filter(pk__in=ids).update(client_id_released=True) if ids else 0
