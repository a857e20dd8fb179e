"""Heartbeat files for liveness probes of the worker processes (clearing, market data).

With ``HEARTBEAT_DIR`` set, each worker thread touches ``<dir>/<name>`` after each
step that did not fail, at most once a second; an idle step returns within its
``block_ms``, so a live thread beats about once a second. A Kubernetes exec probe
(k8s/base) fails when the directory is empty or any file is older than a minute:
a thread stuck in a call, or one whose steps keep failing.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from django.conf import settings

INTERVAL_S = 1.0
_last: dict[str, float] = {}


def beat(name: str) -> None:
    """Touch this worker's heartbeat file, unless heartbeats are off or it was just done."""
    directory = settings.HEARTBEAT_DIR
    if not directory:
        return
    now = time.monotonic()
    if now - _last.get(name, -INTERVAL_S) < INTERVAL_S:
        return
    _last[name] = now
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    (path / re.sub(r"[^A-Za-z0-9_.-]+", "-", name)).touch()
