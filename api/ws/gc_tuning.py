"""Garbage-collector settings for a web process that fans out to many connections.

With CPython's defaults (a young collection every 700 container allocations)
a 1,000-client burst triggers several collections while its per-client lists
are alive, promotes them, and every few seconds a full collection walks every
connection object: 100-600 ms pauses on a busy two-core machine, which were
the whole p99 of ``bench/ws_fanout.py``. Objects alive once the server is up
(Django, the URL conf, modules) are moved out of the collector's sight, and
young collections run every ``GEN0_THRESHOLD`` allocations, so a burst's
short-lived objects are usually freed by reference counting before any
collection sees them. Cycles are still collected, only less often.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 50_000

_tuned = False


def tune() -> None:
    """Freeze what the server needs for its whole life and space out collections (once)."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
