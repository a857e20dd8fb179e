"""User events off clearing's critical path: one publisher thread per market clearer.

After a batch commits, the clearer hands (market, entries, result) over and
goes on with the next batch; this thread builds and publishes the messages
meanwhile, with the product settlement's ``publish`` (spot: ``user_events``). psycopg2 and socket I/O release the GIL, so the
work overlaps the next batch's database time. Batches are published strictly
in commit order (one thread, one FIFO queue). The queue is bounded: when the
thread falls ``depth`` batches behind, the clearer waits (back-pressure, so
memory stays bounded). ``close`` publishes what is queued, then ends the
thread; a crash loses the queued messages, as pub/sub would anyway.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.db import InterfaceError, OperationalError, connection

from exchange.markets.models import Market
from matching_client import OutputEntry

logger = logging.getLogger(__name__)

Job = tuple[Market, Sequence[OutputEntry], Any]  # (market, entries, what they settled)
Publish = Callable[[Market, Sequence[OutputEntry], Any], None]


class EventPublisher:
    """Publishes committed batches' user events on its own thread, in submission order."""

    def __init__(self, name: str, publish: Publish, *, depth: int = 2) -> None:
        self.name = name
        self.publish = publish
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=depth)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.published = 0  # batches
        self.drained_at = 0.0  # time.perf_counter() when the last batch was published

    def submit(self, market: Market, entries: Sequence[OutputEntry], result: Any) -> None:
        """Queue a committed batch; wait while ``depth`` batches are queued."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
        self._queue.put((market, entries, result))

    def wait(self) -> None:
        """Return when every submitted batch is published."""
        self._queue.join()

    def close(self) -> None:
        """Publish what is queued, then end the thread (a later ``submit`` starts a new one)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _run(self) -> None:
        try:
            while (job := self._queue.get()) is not None:
                try:
                    self._publish(job)
                    self.published += 1
                except Exception:
                    logger.exception("%s: could not publish a batch's user events", self.name)
                    connection.close()  # a fresh one for the next batch
                finally:
                    self.drained_at = time.perf_counter()
                    self._queue.task_done()
            self._queue.task_done()
        finally:
            connection.close()  # this thread's own connection (balances are read here)

    def _publish(self, job: Job) -> None:
        try:
            self.publish(*job)
        except (OperationalError, InterfaceError):
            # The connection died while idle (a server restart, a timeout): balances are
            # read before anything is sent, so the batch is published once, on a fresh one.
            connection.close()
            self.publish(*job)
