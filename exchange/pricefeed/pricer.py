"""One contract's running figures: basis average, premium samples and the funding schedule.

No I/O here: the runner gives it the index and the contract's book each second and
decides what to send, store and publish from what it answers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from exchange.pricefeed.contracts import FeedContract
from exchange.pricefeed.formulas import (
    average_premium,
    funding_rate,
    impact_notional,
    impact_price,
    mark_price,
    premium_index,
)
from exchange.pricefeed.futures_book import ContractBook
from exchange.pricefeed.units import from_rate_units, from_ticks, to_rate_units, to_ticks

# Price 2 of the mark is the index plus the basis (mid - index) averaged over 5 minutes.
BASIS_WINDOW_MS = 5 * 60_000


@dataclass(frozen=True, slots=True)
class PriceTick:
    """The figures of one second; ``mark`` is ``mark_ticks`` back in the quote currency."""

    time_ms: int
    index: Decimal
    premium: Decimal
    mark: Decimal
    mark_ticks: int
    funding_estimate: Decimal
    next_funding_ms: int


@dataclass(frozen=True, slots=True)
class FundingDecision:
    funding_time: int
    rate: Decimal  # exactly rate_units / 10^8
    rate_units: int
    average_premium: Decimal
    samples: int


class ContractPricer:
    def __init__(
        self,
        contract: FeedContract,
        *,
        interval_ms: int,
        sample_ms: int,
        samples: Iterable[tuple[int, Decimal]] = (),
        last_funding_ms: int | None = None,
        now_ms: int,
    ) -> None:
        """``samples``: stored (time, premium) of the current and previous interval;
        ``last_funding_ms``: the last funding time applied, None if never."""
        self.contract = contract
        self.interval_ms = interval_ms
        self.sample_ms = sample_ms
        self.samples: list[tuple[int, Decimal]] = sorted(samples)
        self.sample_slot = self.samples[-1][0] // sample_ms if self.samples else -1
        if last_funding_ms is None:
            # Never funded: the feed was already sampling before the latest scheduled time
            # (a restart just after it) or it starts now and funds from the next one.
            start = self.slot_start(now_ms)
            sampled = self._samples_in(start - interval_ms, start)
            last_funding_ms = start - interval_ms if sampled else start
        self.last_funding_ms = last_funding_ms
        self.basis: deque[tuple[int, Decimal]] = deque()
        self.impact_notional = impact_notional(contract.max_leverage)

    def slot_start(self, now_ms: int) -> int:
        """The latest scheduled funding time at or before ``now_ms`` (multiples of the interval)."""
        return now_ms // self.interval_ms * self.interval_ms

    def _samples_in(self, start: int, end: int) -> list[Decimal]:
        return [p for t, p in self.samples if start < t <= end]

    def _levels(self, levels: Iterable[tuple[int, int]]) -> Iterable[tuple[Decimal, Decimal]]:
        tick, step = self.contract.tick_size, self.contract.step_size
        return ((from_ticks(p, tick), q * step) for p, q in levels)

    def price(self, now_ms: int, index: Decimal, book: ContractBook) -> PriceTick:
        """This second's premium and mark from a fresh ``index``; records the basis sample."""
        c = self.contract
        bid, ask = book.best_bid(), book.best_ask()
        premium = premium_index(
            index,
            impact_price(self._levels(book.bid_levels()), self.impact_notional),
            impact_price(self._levels(book.ask_levels()), self.impact_notional),
        )
        if bid is not None and ask is not None:
            mid = (from_ticks(bid, c.tick_size) + from_ticks(ask, c.tick_size)) / 2
            self.basis.append((now_ms, mid - index))
        while self.basis and self.basis[0][0] <= now_ms - BASIS_WINDOW_MS:
            self.basis.popleft()
        basis_average = (
            sum((b for _, b in self.basis), Decimal(0)) / len(self.basis)
            if self.basis
            else Decimal(0)
        )
        start = self.slot_start(now_ms)
        estimate = funding_rate(
            average_premium(self._samples_in(start, now_ms)), c.interest_rate, c.funding_cap
        )
        next_funding = start + self.interval_ms
        last = book.last_price
        mark = mark_price(
            index=index,
            funding_estimate=estimate,
            until_funding_ms=next_funding - now_ms,
            interval_ms=self.interval_ms,
            basis_average=basis_average,
            last_price=None if last is None else from_ticks(last, c.tick_size),
        )
        ticks = to_ticks(mark, c.tick_size)
        return PriceTick(
            now_ms, index, premium, from_ticks(ticks, c.tick_size), ticks, estimate, next_funding
        )

    def take_sample(self, tick: PriceTick) -> bool:
        """Keep ``tick``'s premium as a sample if a sampling period began since the last one."""
        slot = tick.time_ms // self.sample_ms
        if slot <= self.sample_slot:
            return False
        self.sample_slot = slot
        self.samples.append((tick.time_ms, tick.premium))
        horizon = tick.time_ms - 2 * self.interval_ms
        self.samples = [(t, p) for t, p in self.samples if t > horizon]
        return True

    def funding_due(self, now_ms: int) -> FundingDecision | None:
        """The funding of the latest scheduled time, if it was not applied yet.

        Call only with a fresh mark: a funding postponed by a stale index is applied when
        the index is fresh again; scheduled times missed entirely in between are skipped.
        """
        funding_time = self.slot_start(now_ms)
        if funding_time <= self.last_funding_ms:
            return None
        c = self.contract
        window = self._samples_in(funding_time - self.interval_ms, funding_time)
        average = average_premium(window)
        units = to_rate_units(funding_rate(average, c.interest_rate, c.funding_cap))
        return FundingDecision(funding_time, from_rate_units(units), units, average, len(window))

    def funded(self, decision: FundingDecision) -> None:
        self.last_funding_ms = decision.funding_time
