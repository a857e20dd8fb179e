"""Garbage-collector settings for long-running processes that allocate in bursts.

With CPython's defaults (a young collection every 700 container allocations)
a burst of short-lived objects (a WebSocket fan-out to 1,000 clients, a
clearing batch of tens of thousands of decoded entries and order rows)
triggers several collections while it is alive, promotes it, and the full
collections that follow walk every object the process holds, Django and its
models included: 100-600 ms pauses that were the whole p99 of
``bench/ws_fanout.py``, and about a third of the clearing process's CPU in
``bench/pipeline.py``. Objects alive once the process is set up are moved out
of the collector's sight (``gc.freeze``) and young collections are spaced out,
so a burst's objects are usually freed by reference counting before any
collection sees them. Cycles are still collected, only less often.
"""

from __future__ import annotations

import gc

_tuned = False


def tune(gen0_threshold: int) -> None:
    """Freeze what the process holds now and collect young objects every ``gen0_threshold``
    allocations. Call once set up; later calls change nothing."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)
