"""Prometheus metrics of the engine, read from the workers when scraped.

Nothing is counted on the hot path: a scrape reads each worker's own counters
(``processed``, ``last_id``) and asks Redis for its input stream's length and
newest id, so an engine without a scraper pays nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .protocol import input_stream


class Worker(Protocol):
    symbol: str
    processed: int
    last_id: bytes
    count: int
    client: Any


def id_ms(entry_id: bytes | str) -> int:
    """The millisecond part of a stream id (``b"1700000000000-3"`` -> 1700000000000)."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.split("-", 1)[0])


class EngineCollector(Collector):
    def __init__(self, workers: Callable[[], Mapping[str, Worker]]) -> None:
        self.workers = workers

    def collect(self) -> Iterator[Metric]:
        processed = CounterMetricFamily(
            "engine_commands_processed", "Input entries applied, per market.", labels=["market"]
        )
        position = GaugeMetricFamily(
            "engine_position_ms",
            "Millisecond part of the last input entry id applied (when it was appended).",
            labels=["market"],
        )
        batch = GaugeMetricFamily(
            "engine_batch_count", "Current XREAD COUNT of the adaptive batch.", labels=["market"]
        )
        length = GaugeMetricFamily(
            "engine_input_stream_length", "XLEN of the market's input stream.", labels=["market"]
        )
        lag = GaugeMetricFamily(
            "engine_lag_seconds",
            "Newest input entry's time minus the last applied entry's time.",
            labels=["market"],
        )
        for symbol, worker in sorted(self.workers().items()):
            processed.add_metric([symbol], worker.processed)
            position.add_metric([symbol], id_ms(worker.last_id))
            batch.add_metric([symbol], worker.count)
            try:
                info = worker.client.xinfo_stream(input_stream(symbol))
            except redis.RedisError:
                continue  # Redis down: the counters above still tell the story
            length.add_metric([symbol], int(info["length"]))
            newest = info.get("last-generated-id") or b"0-0"
            if worker.processed:
                lag.add_metric([symbol], max(0, id_ms(newest) - id_ms(worker.last_id)) / 1000)
        yield from (processed, position, batch, length, lag)
