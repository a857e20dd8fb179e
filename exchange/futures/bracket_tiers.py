"""A contract's leverage brackets with their floors and maintenance amounts.

The engine derives each tier's maintenance amount ``cum`` so that the maintenance
margin ``notional x rate - cum`` is continuous across tiers (docs/futures.md); every
surface that shows brackets (Binance's ``leverageBracket``, the native API) shows the
same numbers, computed here once in Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from exchange.futures.models import Contract, LeverageBracket


@dataclass(frozen=True)
class BracketTier:
    tier: int
    notional_floor: Decimal
    notional_cap: Decimal
    max_leverage: int
    maintenance_rate: Decimal
    maintenance_amount: Decimal


def tiers_of(brackets: list[LeverageBracket]) -> list[BracketTier]:
    """``brackets`` of one contract in tier order, with floors and ``cum``."""
    tiers: list[BracketTier] = []
    floor, cum, rate = Decimal(0), Decimal(0), Decimal(0)
    for bracket in brackets:
        cum += floor * (bracket.maintenance_rate - rate)
        tiers.append(
            BracketTier(
                tier=bracket.tier,
                notional_floor=floor,
                notional_cap=bracket.notional_cap,
                max_leverage=bracket.max_leverage,
                maintenance_rate=bracket.maintenance_rate,
                maintenance_amount=cum,
            )
        )
        floor, rate = bracket.notional_cap, bracket.maintenance_rate
    return tiers


def contract_tiers(contracts: list[Contract]) -> dict[int, list[BracketTier]]:
    """Tiers of every contract in ``contracts`` by contract id, with one query."""
    by_contract: dict[int, list[LeverageBracket]] = {c.pk: [] for c in contracts}
    for bracket in LeverageBracket.objects.filter(contract__in=contracts).order_by(
        "contract_id", "tier"
    ):
        by_contract[bracket.contract_id].append(bracket)
    return {pk: tiers_of(rows) for pk, rows in by_contract.items()}
