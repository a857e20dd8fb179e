"""The market-data process: one thread per market.

On start it loads the state it last saved in Redis (``state_store``) and
replays the output stream after it, or the whole stream when nothing is saved
(the state is a pure function of the stream), storing klines only past its checkpoint,
so a restart neither loses nor double-counts anything. It then follows the
stream through the consumer group ``marketdata``: each batch updates the
state, upserts the touched klines with the checkpoint in one transaction, and
replaces the Redis snapshots that REST reads while publishing the batch's
WebSocket stream events (``streams.py``) in the same Lua script. Events of entries
past the ``published`` mark are sent during the replay too, so a restart
leaves no gap in the depth diffs and sends nothing twice. Once following, the
state is saved every ``state_every_s`` seconds, after its klines and events, so
the stream trimmer may drop the entries below it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from exchange.core.redis import get_redis
from exchange.core.workers import run_until_stopped
from exchange.marketdata.models import MarketDataCheckpoint
from exchange.marketdata.state import MarketState
from exchange.marketdata.state_store import load_state, save_state
from exchange.marketdata.stats import Bar
from exchange.marketdata.store import SnapshotWriter, published_up_to, store_klines
from exchange.marketdata.streams import StreamPublisher
from exchange.marketdata.ticker_arrays import TickerArrays
from exchange.markets.models import Market
from matching_client import EventConsumer, OutputEntry, decode_output, output_stream, parse_entry_id

logger = logging.getLogger(__name__)

GROUP = "marketdata"
FIELD = b"d"
# Saving costs one encode of the 24-hour trade window: often enough to keep the
# output stream short, rarely enough to stay off the hot path.
STATE_EVERY_S = 60.0


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
        state_every_s: float = STATE_EVERY_S,
    ) -> None:
        self.market = market
        self.state_every_s = state_every_s
        self.state_saved_at = 0.0
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

    def _restore(self) -> str:
        """Load the saved state, if any; return where the replay starts."""
        saved = load_state(self.symbol)
        if saved is None:
            return "-"
        self.state = saved
        self.publisher.last_bar = dict(saved.klines.current)
        for tick in saved.recent:
            self.writer.add_trade(tick)
        return "(" + saved.last_entry_id

    def save_state(self) -> None:
        """Save the state so a restart (and the trimmer) need only the entries after it."""
        save_state(self.state)
        self.state_saved_at = time.monotonic()

    def catch_up(self) -> None:
        """Replay the stream after the saved state, then join the group at the replayed end."""
        checkpoint = MarketDataCheckpoint.objects.filter(symbol=self.symbol).first()
        self.stored_up_to = parse_entry_id(checkpoint.last_entry_id if checkpoint else "0-0")
        published = published_up_to(self.symbol)
        # Never published (a new deployment): the history's events have no listener.
        self.published_up_to = parse_entry_id(published) if published else (2**63, 0)
        stream, start = output_stream(self.symbol), self._restore()
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
        if time.monotonic() - self.state_saved_at >= self.state_every_s:
            self.save_state()
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
