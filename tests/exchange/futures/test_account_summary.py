"""The account figures' formulas on docs/futures.md's worked numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.futures.account_summary import (
    AccountFigures,
    account_figures,
    liquidation_price,
    liquidation_tick,
    tier_for,
)
from exchange.futures.bracket_tiers import tiers_of
from exchange.futures.models import (
    Contract,
    FuturesWallet,
    LeverageBracket,
    MarginType,
    Position,
)
from tests.exchange.futures.support import btc_perpetual, eth_perpetual

D = Decimal

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


def test_the_shown_price_is_the_engines_tick_past_the_exact_one():
    # a long is liquidated at the highest tick below, a short at the lowest tick above
    assert liquidation_tick(D("57165.829"), D(1), D("0.1")) == D("57165.8")
    assert liquidation_tick(D("62805.970"), D(-1), D("0.1")) == D("62806.0")
    # on a tick exactly, equity = maintenance there: not liquidated, the next tick is
    assert liquidation_tick(D("57236.1"), D(1), D("0.1")) == D("57236.0")
    assert liquidation_tick(D("62736.4"), D(-1), D("0.1")) == D("62736.5")
    # no price, or a long's below the first tick
    assert liquidation_tick(D(0), D(1), D("0.1")) == D(0)
    assert liquidation_tick(D("0.05"), D(1), D("0.1")) == D(0)


def two_positions(assets, make_user, *, btc_size: str, isolated_margin: str) -> tuple:
    """docs/futures.md's isolated example: a wallet of 9,970 (10,000 less the fee), 1 BTC
    isolated at 60,000 and 20x, and beside it a cross short of 10 ETH at 3,000."""
    btc, eth = btc_perpetual(assets), eth_perpetual(assets)
    user = make_user()
    FuturesWallet.objects.create(user=user, asset=assets["USDT"], balance=D("9970"))
    size = D(btc_size)
    Position.objects.create(
        user=user,
        contract=btc,
        size=size,
        cost=size * 60_000,
        margin_type=MarginType.ISOLATED,
        isolated_margin=D(isolated_margin),
    )
    Position.objects.create(user=user, contract=eth, size=D(-10), cost=D(-30_000))
    return user, btc, eth


def figures_at(user, marks: dict[Contract, str]) -> AccountFigures:
    by_symbol = {c.symbol: D(m) for c, m in marks.items()}
    return account_figures(user=user, mark_of=lambda c: by_symbol[c.symbol])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("btc_size", "exact", "shown"),
    [
        # 3,000 + (P - 60,000) = 0.5 % x P - 50: P = 56,950 / 0.995
        ("1", D(56_950) / D("0.995"), D("57236.1")),
        # 3,000 - (P - 60,000) = 0.5 % x P - 50: P = 63,050 / 1.005
        ("-1", D(63_050) / D("1.005"), D("62736.4")),
    ],
)
def test_an_isolated_position_stands_on_its_margin_alone(assets, make_user, btc_size, exact, shown):
    # given: the isolated BTC position and the cross ETH short in one account
    user, btc, eth = two_positions(assets, make_user, btc_size=btc_size, isolated_margin="3000")
    # when: the marks are the entries
    figures = figures_at(user, {btc: "60000", eth: "3000"})
    # then: the isolated price solves margin + PnL = MM, on the tick past it
    iso, cross = figures.positions
    assert (iso.contract, iso.margin_type, cross.margin_type) == (btc, "ISOLATED", "CROSSED")
    assert liquidation_price(iso.size, iso.cost, D(3000), tiers_of(list(btc.brackets.all()))) == (
        exact
    )
    assert iso.liquidation_price == shown
    # and: the cross short stands on the cross wallet 6,970 alone:
    # 6,970 - (10 P - 30,000) = 0.4 % x 10 P, P = 36,970 / 10.04 = 3,682.2709..., up a tick
    assert cross.liquidation_price == D("3682.28")
    [usdt] = figures.assets
    assert (usdt.wallet, usdt.isolated_wallet, usdt.cross_wallet) == (D(9970), D(3000), D(6970))
    # available = 6,970 + 0 - 30,000 / 20: the isolated margin is not available
    assert (usdt.available, usdt.max_withdraw) == (D(5470), D(5470))

    # when: the cross position loses 1,000 (ETH at 3,100) and the isolated one 1,000
    moved = figures_at(user, {btc: str(60_000 - 1_000 * int(btc_size)), eth: "3100"})
    iso_moved, cross_moved = moved.positions
    # then: the isolated price does not move; the cross one is still the ETH short's
    assert (iso_moved.unrealized_pnl, iso_moved.liquidation_price) == (D(-1000), shown)
    assert (cross_moved.unrealized_pnl, cross_moved.liquidation_price) == (D(-1000), D("3682.28"))
    # and: available counts the cross PnL only: 6,970 - 1,000 - 31,000 / 20
    [usdt] = moved.assets
    assert (usdt.cross_unrealized_pnl, usdt.unrealized_pnl) == (D(-1000), D(-2000))
    assert (usdt.available, usdt.max_withdraw) == (D(4420), D(4420))
    # and: the margin balance is still the whole wallet and every PnL (Binance's)
    assert usdt.equity == D(9970 - 2000)


@pytest.mark.django_db
def test_added_isolated_margin_leaves_the_cross_side_and_moves_only_its_price(assets, make_user):
    # given: 500 more in the isolated long's margin (3,500)
    user, btc, eth = two_positions(assets, make_user, btc_size="1", isolated_margin="3500")
    # when
    figures = figures_at(user, {btc: "60000", eth: "3000"})
    iso, cross = figures.positions
    # then: 3,500 + (P - 60,000) = 0.5 % x P - 50, P = 56,450 / 0.995 = 56,733.66...
    assert iso.liquidation_price == D("56733.6")
    # and: the cross side has 500 less: 6,470 - (10 P - 30,000) = 0.4 % x 10 P
    assert cross.liquidation_price == D("3632.48")
    [usdt] = figures.assets
    assert (usdt.cross_wallet, usdt.available, usdt.max_withdraw) == (D(6470), D(4970), D(4970))
    # and: the isolated figures' own fields, Binance's isolatedWallet
    assert (iso.isolated_margin, iso.initial_margin, iso.maintenance_margin) == (
        D(3500),
        D(3000),
        D(250),
    )
