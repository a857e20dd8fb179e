"""Group commit for order entry: concurrent single orders share one transaction.

On PostgreSQL an order is one statement (``place_statement``), and what is
left of its cost is the commit's WAL flush (~4 ms on a VM disk, two thirds of
the time of an order). A committer thread per process takes every order
waiting at that moment (at most ``MAX_GROUP``), places each under its own
savepoint (sent with it: one round trip per order), commits once, appends
the PLACEs, then wakes the callers. So each order is still all or nothing, a
refused or failing order leaves the others of its group untouched, and a
caller returns only after its commit, as before.

Only threads of one process group together (the web process's HTTP threads,
ADR 0057, or the bench's entry threads). Off unless ``settings.ORDER_ENTRY_GROUP_COMMIT``.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction

from exchange.orders import engine_commands as engine_gateway
from exchange.orders import place_statement
from exchange.orders.models import Order

logger = logging.getLogger(__name__)

# Each savepoint takes a subtransaction id; PostgreSQL caches 64 per transaction.
MAX_GROUP = 48
# Groups in flight at once, each on its own connection: one group's statements
# run while another waits for its WAL flush.
COMMITTERS = 3


@dataclass
class Request:
    """One order waiting for its group's commit, and what became of it."""

    order: Order
    done: threading.Event = field(default_factory=threading.Event)
    placed: bool = False
    error: BaseException | None = None


def commit_group(group: list[Request]) -> None:
    """Place every order of ``group`` in one transaction, each under its own savepoint.

    Sets each request's ``placed`` (False: balance short) or ``error`` (its own
    database error; or, if the commit fails, that error for all), then appends
    the PLACEs of the placed ones. Run on the committer's thread, outside any
    transaction.
    """
    try:
        # Balance rows locked in (user, asset) order: concurrent groups cannot deadlock.
        ordered = sorted(group, key=lambda r: (r.order.user_id, r.order.locked_asset_id))
        with transaction.atomic(), connection.cursor() as cursor:
            for n, request in enumerate(ordered):
                sql, params = place_statement.statement(request.order)
                try:  # one round trip: the savepoint and the order
                    cursor.execute(f"SAVEPOINT entry_{n}; {sql}", params)
                    row = cursor.fetchone()
                except (IntegrityError, DataError) as exc:  # this order only
                    cursor.execute(f"ROLLBACK TO SAVEPOINT entry_{n}")
                    request.error = exc
                    continue
                request.placed = place_statement.mark_placed(request.order, row)
    except Exception as exc:  # the commit failed: no order of the group is placed
        logger.warning("order entry group of %d failed", len(group), exc_info=True)
        for request in group:
            request.placed, request.error = False, request.error or exc
        place_statement.lost_statement(exc)
        connection.close_if_unusable_or_obsolete()
        return
    placed = [r.order for r in group if r.placed]
    if placed:
        engine_gateway.send_places(placed)


class _Committers:
    """The process's committer threads, fed by one queue (None: stop)."""

    def __init__(self) -> None:
        self.requests: queue.SimpleQueue[Request | None] = queue.SimpleQueue()
        self.pid = os.getpid()
        self.threads = [
            threading.Thread(target=self._run, name=f"order-entry-commit-{n}", daemon=True)
            for n in range(COMMITTERS)
        ]
        for thread in self.threads:
            thread.start()

    def place(self, order: Order) -> bool:
        request = Request(order)
        self.requests.put(request)
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request.placed

    def _run(self) -> None:
        try:
            while (first := self.requests.get()) is not None:
                group = [first]
                while len(group) < MAX_GROUP:
                    try:
                        more = self.requests.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        self.requests.put(None)  # this thread's stop comes after the group
                        break
                    group.append(more)
                try:
                    commit_group(group)
                finally:
                    for request in group:
                        request.done.set()
        finally:
            connection.close()

    def stop(self) -> None:
        for _ in self.threads:
            self.requests.put(None)
        for thread in self.threads:
            thread.join()


_committers: _Committers | None = None
_lock = threading.Lock()


def enabled() -> bool:
    """Group commit applies: PostgreSQL, switched on, and no transaction of the caller's open."""
    return (
        getattr(settings, "ORDER_ENTRY_GROUP_COMMIT", False)
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )


def place_grouped(order: Order) -> bool:
    """``place_statement`` committed with whatever else is waiting; PLACE appended.

    Returns False (nothing changed) when the balance is short; raises the
    order's own database error (e.g. IntegrityError on a duplicate client order id).
    """
    global _committers
    with _lock:
        if _committers is None or _committers.pid != os.getpid():  # none yet, or a forked child
            _committers = _Committers()
        committers = _committers
    return committers.place(order)


def shutdown() -> None:
    """Stop this process's committer threads and close their connections (tests, exit)."""
    global _committers
    with _lock:
        committers, _committers = _committers, None
    if committers is not None and committers.pid == os.getpid():
        committers.stop()
