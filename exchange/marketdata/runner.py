"""The market-data process: one thread per market.

On start it replays the market's whole output stream into memory (the state
is a pure function of the stream), storing klines only past its checkpoint,
so a restart neither loses nor double-counts anything. It then follows the
stream through the consumer group ``marketdata``: each batch updates the
state, upserts the touched klines with the checkpoint in one transaction, and
replaces the Redis snapshots that REST reads while publishing the batch's
WebSocket stream events (``streams.py``) in the same Lua script. Events of entries
past the ``published`` mark are sent during the replay too, so a restart
leaves no gap in the depth diffs and sends nothing twice.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from exchange.core.redis import get_redis
from exchange.core.workers import run_until_stopped
from exchange.marketdata.models import MarketDataCheckpoint
from exchange.marketdata.state import MarketState
from exchange.marketdata.stats import Bar
from exchange.marketdata.store import SnapshotWriter, published_up_to, store_klines
from exchange.marketdata.streams import StreamPublisher
from exchange.marketdata.ticker_arrays import TickerArrays
from exchange.markets.models import Market
from matching_client import EventConsumer, OutputEntry, decode_output, output_stream, parse_entry_id

logger = logging.getLogger(__name__)

GROUP = "marketdata"
FIELD = b"d"


class MarketDataFeed:
    def __init__(
        self,
        market: Market,
        *,
        consumer: str = "marketdata",
        batch_size: int = 1000,
        block_ms: int = 100,
        stop: threading.Event | None = None,
        arrays: TickerArrays | None = None,
    ) -> None:
        self.market = market
        self.arrays = arrays
        self.symbol = market.symbol
        self.state = MarketState(market.symbol)
        self.redis = get_redis()
        self.consumer = EventConsumer(self.redis, group=GROUP, consumer=consumer)
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.stop = stop or threading.Event()
        self.stored_up_to = (0, 0)
        self.published_up_to = (0, 0)
        self.writer = SnapshotWriter(market)
        self.publisher = StreamPublisher(market, self.writer, arrays)
        self.ready = False

    def _apply(self, entries: list[OutputEntry]) -> None:
        """Apply entries to the state; publish their stream events, then store their klines.

        Publishing first keeps the database commit out of the stream latency; a
        crash in between is safe: the klines are stored past their own checkpoint
        on restart, and the events are not sent again.
        """
        bars: dict[tuple[str, int], Bar] = {}
        for entry in entries:
            trades, touched = self.state.apply(entry)
            for tick in trades:
                self.writer.add_trade(tick)
            position = parse_entry_id(entry.entry_id)
            if position > self.stored_up_to:
                bars.update(touched)
            self.publisher.observe(
                entry, trades, list(touched.values()), publish=position > self.published_up_to
            )
        messages = self.publisher.take(self.state)
        if messages or (self.ready and entries):
            self._publish(messages)
        if entries and parse_entry_id(entries[-1].entry_id) > self.stored_up_to:
            store_klines(self.market, bars.values(), entries[-1].entry_id)
            self.stored_up_to = parse_entry_id(entries[-1].entry_id)

    def _publish(self, messages: list[tuple[str, str]]) -> None:
        self.writer.publish(self.state, messages)
        self.published_up_to = parse_entry_id(self.state.last_entry_id)

    def catch_up(self) -> None:
        """Replay the stream from its start, then join the group at the replayed end."""
        checkpoint = MarketDataCheckpoint.objects.filter(symbol=self.symbol).first()
        self.stored_up_to = parse_entry_id(checkpoint.last_entry_id if checkpoint else "0-0")
        published = published_up_to(self.symbol)
        # Never published (a new deployment): the history's events have no listener.
        self.published_up_to = parse_entry_id(published) if published else (2**63, 0)
        stream, start = output_stream(self.symbol), "-"
        while True:
            chunk: Any = self.redis.xrange(stream, start, "+", count=self.batch_size)
            entries = [
                decode_output(self.symbol, eid.decode(), fields[FIELD]) for eid, fields in chunk
            ]
            self._apply(entries)
            if len(chunk) < self.batch_size:
                break
            start = "(" + chunk[-1][0].decode()
        last = self.state.last_entry_id
        if not self.consumer.ensure_group(self.symbol, start_id=last):
            self.redis.xgroup_setid(stream, GROUP, last)
        self._publish([])
        self.ready = True
        logger.info("market data %s: replayed up to %s", self.symbol, last)

    def step(self) -> int:
        """Follow the stream by one batch; return the number of entries applied."""
        if not self.ready:
            self.catch_up()
        entries = self.consumer.read(self.symbol, count=self.batch_size, block_ms=self.block_ms)
        if not entries:
            return 0
        self._apply(entries)
        self.consumer.ack(self.symbol, [e.entry_id for e in entries])
        return len(entries)

    def run(self) -> None:
        run_until_stopped(
            name=f"market data {self.symbol}", step=self.step, stop=self.stop, on_error=self.reset
        )

    def reset(self) -> None:
        """Forget the state; the next step rebuilds it from the stream."""
        self.state = MarketState(self.symbol)
        self.writer = SnapshotWriter(self.market)
        self.publisher = StreamPublisher(self.market, self.writer, self.arrays)
        self.ready = False


def run_market_data(
    *,
    symbols: list[str] | None,
    stop: threading.Event,
    running: dict[str, MarketDataFeed] | None = None,
    arrays: TickerArrays | None = None,
) -> dict[str, MarketDataFeed]:
    """Start a feed thread (a daemon) for every market that has none in ``running`` yet;
    the feeds offer their tickers to ``arrays`` (whose owner runs its flusher)."""
    running = {} if running is None else running
    markets = Market.objects.exclude(symbol__in=list(running))
    if symbols:
        markets = markets.filter(symbol__in=symbols)
    for market in markets:
        feed = running[market.symbol] = MarketDataFeed(market, stop=stop, arrays=arrays)
        threading.Thread(target=feed.run, name=f"marketdata-{feed.symbol}", daemon=True).start()
    return running
