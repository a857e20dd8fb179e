"""Prometheus metrics of the price feed, read from its running figures when scraped."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exchange.pricefeed.runner import PriceFeed


class PriceFeedCollector(Collector):
    def __init__(self, feed: PriceFeed) -> None:
        self.feed = feed

    def collect(self) -> Iterator[Metric]:
        marks = CounterMetricFamily(
            "pricefeed_marks",
            "MARK_PRICE commands appended to the engine's input, per contract.",
            labels=["contract"],
        )
        fundings = CounterMetricFamily(
            "pricefeed_fundings",
            "FUNDING commands appended to the engine's input, per contract.",
            labels=["contract"],
        )
        stale = GaugeMetricFamily(
            "pricefeed_stale",
            "1 while the contract's mark price is withheld (no fresh index), else 0.",
            labels=["contract"],
        )
        feeds = dict(self.feed.feeds)
        for symbol in sorted(set(feeds) | set(self.feed.marks_sent)):
            marks.add_metric([symbol], self.feed.marks_sent[symbol])
            fundings.add_metric([symbol], self.feed.fundings_sent[symbol])
        for symbol, state in sorted(feeds.items()):
            stale.add_metric([symbol], 0 if state.stale_reason is None else 1)
        yield from (marks, fundings, stale)
