"""Futures figures for the dashboards: open interest per contract, the insurance fund.

The futures projection (``exchange.futures``) has not landed yet; until it does
there is nothing to show and the dashboard keeps its place with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ContractFigures:
    symbol: str
    open_interest: Decimal  # contracts held long (= short)


@dataclass(frozen=True)
class FuturesOverview:
    contracts: list[ContractFigures]
    insurance_fund: dict[str, Decimal]  # per margin asset


def futures_overview() -> FuturesOverview | None:
    """None while no futures projection exists to read from."""
    return None
