"""Celery's per-task log lines, kept only when a frequent periodic task did something.

Beat runs the order sweeper every two seconds; Celery logs "Sending due task",
"Task received" and "Task succeeded" for each run, so an idle exchange wrote
three lines every two seconds. The tasks named in ``QUIET_TASKS`` log their own
line when they act; this filter drops Celery's lines for their idle runs
(return value ``0``) and keeps every failure, retry and other task's line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

# Celery's loggers for the beat's sending, the worker's receiving and the result.
CELERY_TASK_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")
IDLE_RESULT = "0"


class QuietIdleTasks(logging.Filter):
    def __init__(self, task_names: Iterable[str]) -> None:
        super().__init__()
        self.task_names = frozenset(task_names)

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.name == "celery.beat":
            # 'Scheduler: Sending due task %s (%s)' % (entry name, task name); beat's other
            # two-argument lines carry no name ('Message Error: %s\n%s' % (error, stack
            # as a list), when the broker is down: a list is unhashable, and a filter
            # that raises ends beat)
            return not (
                isinstance(args, tuple)
                and len(args) == 2
                and isinstance(args[1], str)
                and args[1] in self.task_names
            )
        if not isinstance(args, dict) or args.get("name") not in self.task_names:
            return True
        if record.name == "celery.worker.strategy":
            return False  # "Task received": the success line or the failure tells the rest
        return "return_value" not in args or args["return_value"] != IDLE_RESULT


def install(task_names: Iterable[str]) -> QuietIdleTasks:
    """Attach the filter to Celery's task loggers (logger filters survive Celery's
    own handler set-up, which replaces the root logger's handlers)."""
    quiet = QuietIdleTasks(task_names)
    for name in CELERY_TASK_LOGGERS:
        logging.getLogger(name).addFilter(quiet)
    return quiet
