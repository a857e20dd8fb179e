"""Prometheus metrics: the counters order entry keeps, and the helpers every process uses.

The web process serves the default registry at ``/metrics``; clearing, market
data and the engine serve theirs on ``--metrics-port`` (``METRICS_PORT``).
Per-market figures of the long-running processes are read from their runners
when scraped (collectors in each domain's ``metrics.py``), not counted on the
hot path.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from prometheus_client import REGISTRY, Counter, start_http_server
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

ORDERS_PLACED = Counter(
    "exchange_orders_placed", "Orders accepted by order entry, per market.", ["market"]
)
ORDERS_REFUSED = Counter(
    "exchange_orders_refused", "Orders refused by order entry, per error code.", ["code"]
)
# Counting more than this many entries behind on each scrape would cost more than it tells.
LAG_COUNT_CAP = 1000


def serve(port: int, *collectors: Collector) -> None:
    """Register the process's collectors and serve the metrics on ``port`` (0: off)."""
    if not port:
        return
    for collector in collectors:
        REGISTRY.register(collector)
    start_http_server(port)
    logger.info("metrics on port %d", port)


def id_ms(entry_id: bytes | str) -> int:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.split("-", 1)[0])


def stream_position(client: Any, stream: str, after: str) -> tuple[int, int, float] | None:
    """(length, entries after ``after`` up to LAG_COUNT_CAP, seconds behind the newest),
    or None while Redis cannot answer."""
    try:
        info: Any = client.xinfo_stream(stream)
        behind: Any = client.xrange(stream, f"({after}", "+", count=LAG_COUNT_CAP)
    except redis.ResponseError:
        return (0, 0, 0.0)  # no stream yet: nothing written, nothing behind
    except redis.RedisError:
        return None
    newest = info.get("last-generated-id") or "0-0"
    seconds = max(0, id_ms(newest) - id_ms(after)) / 1000 if behind else 0.0
    return int(info["length"]), len(behind), seconds
