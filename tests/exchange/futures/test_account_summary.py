"""The account figures' formulas on docs/futures.md's worked numbers (no database needed)."""

from __future__ import annotations

from decimal import Decimal

from exchange.futures.account_summary import liquidation_price, tier_for
from exchange.futures.bracket_tiers import tiers_of
from exchange.futures.models import LeverageBracket

BRACKETS = [
    LeverageBracket(
        tier=1, notional_cap=Decimal(50_000), max_leverage=125, maintenance_rate=Decimal("0.004")
    ),
    LeverageBracket(
        tier=2, notional_cap=Decimal(250_000), max_leverage=100, maintenance_rate=Decimal("0.005")
    ),
    LeverageBracket(
        tier=3, notional_cap=Decimal(10**12), max_leverage=20, maintenance_rate=Decimal("0.025")
    ),
]


def test_tiers_have_floors_and_the_maintenance_amounts_of_the_docs():
    tiers = tiers_of(BRACKETS)
    assert [(t.notional_floor, t.maintenance_amount) for t in tiers] == [
        (Decimal(0), Decimal(0)),
        (Decimal(50_000), Decimal(50)),
        (Decimal(250_000), Decimal(5_050)),
    ]
    assert tier_for(tiers, Decimal(57_165)).tier == 2
    assert tier_for(tiers, Decimal(10**13)).tier == 3


def testliquidation_price_of_the_worked_example():
    # given 1 BTC long bought at 60,000 with a wallet of 3,070 (docs/futures.md)
    price = liquidation_price(Decimal(1), Decimal(60_000), Decimal(3_070), tiers_of(BRACKETS))
    # then it is where 3,070 + (P - 60,000) = 0.5 % x P - 50: P = 57,165.829...
    assert price.quantize(Decimal("0.001")) == Decimal("57165.829")
    assert abs((3_070 + price - 60_000) - (price * Decimal("0.005") - 50)) < Decimal("1e-20")


def test_a_short_is_liquidated_above_its_entry_and_a_safe_account_has_no_price():
    # a short of 1 at 60,000 with 3,070: 3,070 - (P - 60,000) = 0.5 % x P - 50
    price = liquidation_price(Decimal(-1), Decimal(-60_000), Decimal(3_070), tiers_of(BRACKETS))
    assert price.quantize(Decimal("0.001")) == Decimal("62805.970")
    # a long fully covered by its wallet never reaches maintenance above 0
    assert liquidation_price(
        Decimal(1), Decimal(60_000), Decimal(70_000), tiers_of(BRACKETS)
    ) == Decimal(0)
