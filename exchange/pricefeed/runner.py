"""The price-feed process: every second, per contract, index → mark → MARK_PRICE (and FUNDING).

A contract whose index has no fresh source is **stale**: no MARK_PRICE goes out (the
engine keeps its last mark, so nobody is liquidated on bad data), no FUNDING either
(it would be charged at that old mark; it is applied once the index is fresh again),
the status that futures order entry checks says so (``exchange.core.price_status``),
and the log says so once when it happens and once when it ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from exchange.core.price_status import write_price_status
from exchange.core.workers import run_until_stopped
from exchange.pricefeed import history
from exchange.pricefeed.contracts import FeedContract
from exchange.pricefeed.formulas import index_price
from exchange.pricefeed.futures_book import GroupBooks, find_command
from exchange.pricefeed.pricer import ContractPricer, PriceTick
from exchange.pricefeed.publish import publish_mark, publish_mark_array
from exchange.pricefeed.sources import IndexSource, is_fresh
from matching_client import MatchingClient, parse_entry_id
from matching_client.futures import ApplyFunding, FuturesCommand, SetMarkPrice

logger = logging.getLogger(__name__)

RELOAD_CONTRACTS_MS = 10_000
NO_SOURCE = "no index price source configured (no spot market, no PRICEFEED_SOURCES entry)"
# Entry ids are Redis's clock, a funding row's time the feed's: look back this much more.
CLOCK_SKEW_MS = 60_000


@dataclass(frozen=True, slots=True)
class FeedSettings:
    max_index_age_ms: int = 10_000
    premium_sample_ms: int = 60_000
    funding_interval_ms: int | None = None  # None: each contract's own interval


@dataclass
class _Feed:
    contract: FeedContract
    pricer: ContractPricer
    sources: list[IndexSource]
    stale_reason: str | None = None  # None: fresh
    since_ms: int = 0


class PriceFeed:
    def __init__(
        self,
        *,
        load_contracts: Callable[[], list[FeedContract]],
        sources_for: Callable[[FeedContract], list[IndexSource]],
        client: MatchingClient,
        settings: FeedSettings,
    ) -> None:
        self.load_contracts = load_contracts
        self.sources_for = sources_for
        self.client = client
        self.settings = settings
        self.feeds: dict[str, _Feed] = {}
        self.books: dict[str, GroupBooks] = {}
        self.bars = history.MinuteBars()
        self.loaded_at = -RELOAD_CONTRACTS_MS
        # Appended to the engine's input, per contract, for Prometheus (pricefeed/metrics.py).
        self.marks_sent: Counter[str] = Counter()
        self.fundings_sent: Counter[str] = Counter()

    def reset(self) -> None:
        """Forget the contracts' running figures after a failed step: the next step reloads
        them from the database and completes any funding whose append was not recorded."""
        self.feeds.clear()
        self.loaded_at = -RELOAD_CONTRACTS_MS

    def _interval_ms(self, contract: FeedContract) -> int:
        return self.settings.funding_interval_ms or contract.funding_interval_seconds * 1000

    def _reload(self, now_ms: int) -> None:
        contracts = {c.symbol: c for c in self.load_contracts()}
        for symbol in set(self.feeds) - set(contracts):
            del self.feeds[symbol]
        for symbol, contract in contracts.items():
            feed = self.feeds.get(symbol)
            if feed is not None and feed.contract == contract:
                continue
            interval = self._interval_ms(contract)
            pricer = ContractPricer(
                contract,
                interval_ms=interval,
                sample_ms=self.settings.premium_sample_ms,
                samples=history.load_samples(symbol, now_ms - 2 * interval),
                last_funding_ms=history.last_funding_time(symbol),
                now_ms=now_ms,
            )
            self.feeds[symbol] = _Feed(
                contract, pricer, self.sources_for(contract), since_ms=now_ms
            )
            self.books.setdefault(contract.group, GroupBooks(contract.group))
            self._finish_fundings(contract)
        self.loaded_at = now_ms

    def _finish_fundings(self, contract: FeedContract) -> None:
        """Complete the fundings whose row was written but whose append was not recorded.

        The input stream is the truth: a FUNDING found there after the row's time was
        appended (its entry id is recorded now); one not found never reached the
        engine and is appended now, late but once.
        """
        for row in history.fundings_without_entry(contract.symbol):
            command = ApplyFunding(contract.group, contract.engine_id, row.rate_units)
            # After the previous funding's entry: the same rate makes the same bytes.
            after = max(
                (f"{row.applied_at - CLOCK_SKEW_MS}-0", history.previous_entry(row)),
                key=parse_entry_id,
            )
            entry_id = find_command(contract.group, command.encode(), after=after)
            if entry_id is None:
                entry_id = self.client.send(command)
                logger.warning(
                    "%s: the funding of %d was never appended; appended now as %s",
                    contract.symbol,
                    row.funding_time,
                    entry_id,
                )
            history.funding_appended(contract.symbol, row.funding_time, entry_id)

    def _mark_stale(self, feed: _Feed, reason: str, now_ms: int) -> None:
        if feed.stale_reason != reason:
            logger.error(
                "%s: %s; MARK_PRICE and FUNDING withheld, new positions halted",
                feed.contract.symbol,
                reason,
            )
            feed.stale_reason, feed.since_ms = reason, now_ms
        write_price_status(
            feed.contract.symbol, stale=True, reason=reason, since_ms=feed.since_ms, now_ms=now_ms
        )

    def _mark_fresh(self, feed: _Feed, now_ms: int) -> None:
        if feed.stale_reason is not None:
            logger.warning("%s: index fresh again; mark price resumes", feed.contract.symbol)
            feed.stale_reason, feed.since_ms = None, now_ms
        write_price_status(
            feed.contract.symbol, stale=False, reason="", since_ms=feed.since_ms, now_ms=now_ms
        )

    def step(self, now_ms: int) -> list[str]:
        """Price every contract at ``now_ms``; return the input entry IDs appended."""
        if now_ms - self.loaded_at >= RELOAD_CONTRACTS_MS:
            self._reload(now_ms)
        for books in self.books.values():
            books.catch_up()
        commands: list[FuturesCommand] = []
        fundings: list[tuple[int, str, int]] = []  # (command index, symbol, funding time)
        priced: list[tuple[_Feed, PriceTick]] = []
        for symbol, feed in self.feeds.items():
            c = feed.contract
            quotes = [
                q
                for source in feed.sources
                if (q := source.quote(now_ms)) is not None
                and is_fresh(q, now_ms, self.settings.max_index_age_ms)
            ]
            index = index_price(quotes)
            if index is None:
                # A contract with no source at all is never priced: say that, not "stale".
                reason = "no fresh index price source" if feed.sources else NO_SOURCE
                self._mark_stale(feed, reason, now_ms)
                continue
            tick = feed.pricer.price(now_ms, index, self.books[c.group].book(c.engine_id))
            if tick.mark_ticks <= 0:
                self._mark_stale(feed, "mark price below one tick", now_ms)
                continue
            commands.append(SetMarkPrice(c.group, c.engine_id, tick.mark_ticks))
            self.bars.add(symbol, tick)
            if feed.pricer.take_sample(tick):
                history.store_sample(symbol, tick)
            decision = feed.pricer.funding_due(now_ms)
            if decision is not None:
                if history.record_funding(symbol, decision, tick, c.interest_rate):
                    fundings.append((len(commands), symbol, decision.funding_time))
                    commands.append(ApplyFunding(c.group, c.engine_id, decision.rate_units))
                    logger.info(
                        "%s: funding %s at mark %s (%d samples)",
                        symbol,
                        decision.rate,
                        tick.mark,
                        decision.samples,
                    )
                feed.pricer.funded(decision)
            priced.append((feed, tick))
        entry_ids = self.client.send_many(commands) if commands else []
        for position, symbol, funding_time in fundings:
            history.funding_appended(symbol, funding_time, entry_ids[position])
            self.fundings_sent[symbol] += 1
        self.marks_sent.update(f.contract.symbol for f, _ in priced)
        # Live only once its mark is in the engine's input: a failed append says nothing.
        events = [publish_mark(f.contract.symbol, t, f.contract.interest_rate) for f, t in priced]
        for feed, _ in priced:
            self._mark_fresh(feed, now_ms)
        publish_mark_array(events, now_ms)
        self.bars.flush()
        return entry_ids


def run_every_second(feed: PriceFeed, *, stop: threading.Event, period_s: float = 1.0) -> None:
    """Call ``feed.step`` at each whole period of the wall clock until ``stop`` is set.

    A failed step is logged, the feed reset and the next one tried (``run_until_stopped``);
    while steps fail, no status is written and the contracts read as not live after a
    few seconds.
    """

    def step() -> None:
        if not stop.wait(period_s - time.time() % period_s):
            feed.step(int(time.time() * 1000))

    run_until_stopped(name="pricefeed", step=step, stop=stop, on_error=feed.reset)
