"""The loop of a long-running worker thread (clearing, market data), and the back-off of
the calls their processes make outside those threads."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connection

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


# A server that is down or restarting: PostgreSQL refusing or dropping the session.
DATABASE_DOWN = (OperationalError, InterfaceError)


def until_reachable(
    *,
    name: str,
    call: Callable[[], object],
    stop: threading.Event,
    first_delay_s: float = 0.2,
    max_delay_s: float = 5.0,
) -> bool:
    """Call ``call`` until it gets through, doubling the pause after each failure to reach
    the database (up to ``max_delay_s``): a process that starts, or looks for new
    markets, while PostgreSQL restarts waits for it instead of exiting (ADR 0051).
    False if ``stop`` was set first. Other errors are raised: they are not a restart.
    """
    delay = first_delay_s
    while not stop.is_set():
        try:
            call()
        except DATABASE_DOWN as exc:
            logger.warning("%s: database unreachable (%s); retrying in %.1fs", name, exc, delay)
            connection.close()
            stop.wait(delay)
            delay = min(delay * 2, max_delay_s)
        else:
            return True
    return False
