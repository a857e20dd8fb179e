"""A perpetual contract's spec and the margin arithmetic that depends only on it.

Maintenance margin follows Binance's leverage brackets: tier k covers notionals up to
`cap[k]` with maintenance rate `mmr[k]`, and a maintenance amount `cum[k]` makes the
margin continuous across tiers (MM = notional * mmr - cum). Every comparison is done
multiplied by RATE_SCALE so that nothing is rounded: an account is liquidatable iff
`RATE_SCALE * equity < sum(maintenance_scaled(notional))`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from ..protocol import MAX_INT
from .protocol import RATE_SCALE, ContractStatus

MAX_LEVERAGE: Final = 125


@dataclass(frozen=True)
class Bracket:
    cap: int  # notional cap in atoms (inclusive)
    max_leverage: int
    mmr: int  # maintenance-margin rate, RATE_SCALE = 100 %
    cum_scaled: int  # maintenance amount * RATE_SCALE


@dataclass
class Contract:
    id: int
    symbol: str
    multiplier: int  # atoms per tick*lot
    min_notional: int  # atoms
    maker_fee: int  # rates, RATE_SCALE = 100 %
    taker_fee: int
    liquidation_fee: int
    funding_cap: int
    brackets: tuple[Bracket, ...]
    status: int = ContractStatus.TRADING
    mark: int = 0  # ticks; 0 until the first MARK_PRICE
    raw_brackets: list[list[int]] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        id: int,
        symbol: str,
        multiplier: int,
        min_notional: int,
        maker_fee: int,
        taker_fee: int,
        liquidation_fee: int,
        funding_cap: int,
        raw: list[list[int]],
        status: int,
    ) -> Contract | None:
        """Return the contract, or None if a field is out of range."""
        ints = (id, multiplier, min_notional, maker_fee, taker_fee, liquidation_fee, funding_cap)
        if not all(type(v) is int for v in ints) or not raw:
            return None
        if not (0 < id <= MAX_INT and 0 < multiplier <= MAX_INT and min_notional >= 0):
            return None
        rates = (maker_fee, taker_fee, liquidation_fee, funding_cap)
        if not all(0 <= r < RATE_SCALE for r in rates) or status not in (1, 2):
            return None
        brackets: list[Bracket] = []
        prev_cap, prev_mmr, cum = 0, 0, 0
        for tier in raw:
            if type(tier) is not list or len(tier) != 3 or not all(type(v) is int for v in tier):
                return None
            cap, lev, mmr = tier
            if not (prev_cap < cap and 0 < lev <= MAX_LEVERAGE and prev_mmr <= mmr):
                return None
            # Maintenance (mmr) must stay below initial margin (1 / leverage).
            if not 0 < mmr * lev < RATE_SCALE:
                return None
            cum += prev_cap * (mmr - prev_mmr)
            brackets.append(Bracket(cap, lev, mmr, cum))
            prev_cap, prev_mmr = cap, mmr
        return cls(
            id,
            symbol,
            multiplier,
            min_notional,
            maker_fee,
            taker_fee,
            liquidation_fee,
            funding_cap,
            tuple(brackets),
            status,
            raw_brackets=[list(t) for t in raw],
        )

    def bracket(self, notional: int) -> Bracket:
        for b in self.brackets:
            if notional <= b.cap:
                return b
        return self.brackets[-1]

    def maintenance_scaled(self, notional: int) -> int:
        """Maintenance margin of a position of this notional, times RATE_SCALE."""
        b = self.bracket(notional)
        return notional * b.mmr - b.cum_scaled

    def liquidation_price(self, size: int, cost: int, wallet: int) -> int:
        """Return the mark at which a lone position of this account is liquidated.

        A long is liquidated when mark <= the result, a short when mark >= it. Exact:
        solved per tier, walking the tiers in ascending notional (equity minus
        maintenance is monotone in the mark, and continuous across tiers).
        """
        q = size if size > 0 else -size
        qm = q * self.multiplier
        prev_hi = 0
        last = len(self.brackets) - 1
        for k, b in enumerate(self.brackets):
            hi = b.cap // qm if k < last else -1
            if size > 0:
                n = RATE_SCALE * (cost - wallet) - b.cum_scaled
                cand = -((-n) // (qm * (RATE_SCALE - b.mmr))) - 1
                if hi < 0 or hi > cand:
                    return max(cand, prev_hi)
            else:
                n = RATE_SCALE * (wallet - cost) + b.cum_scaled
                cand = n // (qm * (RATE_SCALE + b.mmr)) + 1
                if hi < 0 or hi >= cand:
                    return max(cand, prev_hi + 1)
            prev_hi = hi
        raise AssertionError("the last tier always answers")

    def spec(self) -> list[object]:
        return [
            self.id,
            self.symbol,
            self.multiplier,
            self.min_notional,
            self.maker_fee,
            self.taker_fee,
            self.liquidation_fee,
            self.funding_cap,
            self.raw_brackets,
            self.status,
        ]
