"""Lag history for the pipeline dashboard's charts: the figures ``market_pipeline``
reads, sampled by beat every ``LAG_SAMPLE_EVERY_SECONDS`` into one capped Redis list.

Prometheus keeps the long series (``clearing_lag_seconds``, ``marketdata_lag_seconds``);
this keeps the last ``HISTORY_SAMPLES`` so the console shows the trend without one.
Each sample is one small JSON object, pushed and trimmed in one round trip.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from exchange.core.redis import get_redis
from exchange.dashboards.pipeline import MarketPipeline

HISTORY_KEY = "dash:lag-history"
HISTORY_SAMPLES = 720  # three hours at the default 15 s
READERS = ("engine", "clearing", "market data")

Series = dict[str, dict[str, list[tuple[int, float]]]]


def _sample(row: MarketPipeline) -> list[float | None]:
    """[engine backlog (commands), clearing lag (s), market-data lag (s)]; None: unknown."""
    engine = row.engine_lag_entries if (row.engine_lag_entries or 0) >= 0 else None
    return [
        engine,
        round(row.clearing.seconds, 3) if row.clearing else None,
        round(row.marketdata.seconds, 3) if row.marketdata else None,
    ]


def record_lag_sample(rows: list[MarketPipeline], *, at_s: int) -> None:
    """Append one sample of every stream's lags (``at_s``: Unix seconds)."""
    sample = {"t": at_s, "m": {row.symbol: _sample(row) for row in rows}}
    pipe: Any = get_redis().pipeline(transaction=False)
    pipe.rpush(HISTORY_KEY, json.dumps(sample, separators=(",", ":")))
    pipe.ltrim(HISTORY_KEY, -HISTORY_SAMPLES, -1)
    pipe.execute()


def lag_history() -> Series:
    """Per stream, per reader (``READERS``): ``(unix seconds, value)`` oldest first; a
    reader with no known value in a sample has no point there."""
    series: Series = defaultdict(lambda: defaultdict(list))
    last_t = None
    for raw in get_redis().lrange(HISTORY_KEY, 0, -1):  # type: ignore[union-attr]
        sample = json.loads(raw)
        if sample["t"] == last_t:  # two samples in one second: the chart needs rising times
            continue
        last_t = sample["t"]
        for symbol, values in sample["m"].items():
            for reader, value in zip(READERS, values, strict=False):
                if value is not None:
                    series[symbol][reader].append((sample["t"], value))
    return {symbol: dict(readers) for symbol, readers in series.items()}
