"""Which risk stage decides for which product: ``risk_for(product)``."""

from __future__ import annotations

from enum import StrEnum

from exchange.risk.spot import SPOT
from exchange.risk.stage import RiskStage


class Product(StrEnum):
    SPOT = "SPOT"


_STAGES: dict[Product, RiskStage] = {Product.SPOT: SPOT}


def risk_for(product: Product) -> RiskStage:
    """The stage of ``product``; a new product adds its member and its stage here."""
    return _STAGES[product]
