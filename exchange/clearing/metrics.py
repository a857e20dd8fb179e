"""Prometheus metrics of the clearing process, read from its clearers when scraped."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exchange.clearing.runner import MarketClearer
from exchange.core.metrics import LAG_COUNT_CAP, stream_position
from matching_client import output_stream


class ClearingCollector(Collector):
    def __init__(self, clearers: Mapping[str, MarketClearer]) -> None:
        self.clearers = clearers

    def collect(self) -> Iterator[Metric]:
        entries = CounterMetricFamily(
            "clearing_entries", "Engine output entries cleared, per market.", labels=["market"]
        )
        fills = CounterMetricFamily(
            "clearing_fills", "Trades written by clearing, per market.", labels=["market"]
        )
        lag = GaugeMetricFamily(
            "clearing_lag_entries",
            f"Output entries not yet cleared (counted up to {LAG_COUNT_CAP}).",
            labels=["market"],
        )
        lag_s = GaugeMetricFamily(
            "clearing_lag_seconds",
            "Newest output entry's time minus the checkpoint's.",
            labels=["market"],
        )
        length = GaugeMetricFamily(
            "clearing_output_stream_length",
            "XLEN of the engine's output stream.",
            labels=["market"],
        )
        for symbol, clearer in sorted(dict(self.clearers).items()):
            entries.add_metric([symbol], clearer.cleared_entries)
            fills.add_metric([symbol], clearer.cleared_trades)
            position = clearer.position
            if position is None:
                continue  # between a restart of its loop and its first read
            found = stream_position(clearer.redis, output_stream(symbol), position)
            if found is not None:
                length.add_metric([symbol], found[0])
                lag.add_metric([symbol], found[1])
                lag_s.add_metric([symbol], found[2])
        yield from (entries, fills, lag, lag_s, length)
