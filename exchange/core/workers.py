"""The loop of a long-running worker thread (clearing, market data)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import connection

from exchange.core.heartbeat import beat

logger = logging.getLogger(__name__)


def run_until_stopped(
    *,
    name: str,
    step: Callable[[], object],
    stop: threading.Event,
    on_error: Callable[[], None] | None = None,
    retry_delay_s: float = 0.5,
) -> None:
    """Call ``step`` until ``stop`` is set. An error is logged, ``on_error`` resets what the
    step keeps, and the step is retried after a pause: one bad moment never ends the thread.

    The thread keeps its database connection from step to step (a new PostgreSQL
    backend per step cost a connection set-up per batch, and one every idle poll);
    after a failed step it is closed, so the retry starts on a fresh one.
    """
    try:
        while not stop.is_set():
            try:
                step()
                beat(name)
            except Exception:
                logger.exception("%s: step failed; retrying", name)
                connection.close()
                if on_error is not None:
                    on_error()
                time.sleep(retry_delay_s)
    finally:
        connection.close()  # this thread's own connection
