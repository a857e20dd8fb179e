"""Prometheus metrics of the market-data process, read from its feeds when scraped."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exchange.core.metrics import LAG_COUNT_CAP, stream_position
from exchange.marketdata.runner import MarketDataFeed
from matching_client import output_stream


class MarketDataCollector(Collector):
    def __init__(self, feeds: Mapping[str, MarketDataFeed]) -> None:
        self.feeds = feeds

    def collect(self) -> Iterator[Metric]:
        ready = GaugeMetricFamily(
            "marketdata_ready", "1 once the feed has replayed its stream.", labels=["market"]
        )
        lag = GaugeMetricFamily(
            "marketdata_lag_entries",
            f"Output entries not yet applied (counted up to {LAG_COUNT_CAP}).",
            labels=["market"],
        )
        lag_s = GaugeMetricFamily(
            "marketdata_lag_seconds",
            "Newest output entry's time minus the last applied entry's.",
            labels=["market"],
        )
        for symbol, feed in sorted(dict(self.feeds).items()):
            ready.add_metric([symbol], 1 if feed.ready else 0)
            if not feed.ready:
                continue
            found = stream_position(feed.redis, output_stream(symbol), feed.state.last_entry_id)
            if found is not None:
                lag.add_metric([symbol], found[1])
                lag_s.add_metric([symbol], found[2])
        yield from (ready, lag, lag_s)
