"""Margin calls at 80 % margin ratio, on docs/futures.md's worked account: 3,070 USDT,
long 1 BTC at 60,000 at 20x (maintenance at a mark M above 50,000: 0.5 % x M - 50)."""

from __future__ import annotations

from decimal import Decimal

from exchange.futures.account_summary import account_figures
from exchange.futures.margin_call import margin_calls
from exchange.futures.models import FuturesWallet, MarginType, Position
from tests.exchange.futures.support import btc_perpetual
from tests.exchange.futures.test_account_summary import two_positions

D = Decimal


def _account(make_user, contract, *, isolated_margin: Decimal | None = None):  # noqa: ANN001, ANN202
    user = make_user()
    FuturesWallet.objects.create(user=user, asset=contract.margin_asset, balance=D(3070))
    Position.objects.create(
        user=user,
        contract=contract,
        size=D(1),
        cost=D(60000),
        leverage=20,
        margin_type=MarginType.CROSSED if isolated_margin is None else MarginType.ISOLATED,
        isolated_margin=isolated_margin or D(0),
    )
    return user


def test_a_cross_account_is_called_from_80_percent(assets, make_user):
    # given the worked account and a flat one
    contract = btc_perpetual(assets)
    user = _account(make_user, contract)
    flat = make_user()
    Position.objects.create(user=flat, contract=contract, size=D(0), cost=D(0))
    # when the mark is 57,500 (237.5 / 570 = 42 %), 57,300 (236.5 / 370 = 64 %), 57,200
    quiet = [
        margin_calls(asset=contract.margin_asset, marks={contract.pk: D(m)}, mark_of=lambda c: None)
        for m in (57500, 57300)
    ]
    calls = margin_calls(
        asset=contract.margin_asset, marks={contract.pk: D(57200)}, mark_of=lambda c: None
    )
    # then only the last calls it: 236 / 270 = 87.4 %, with the position's figures
    assert quiet == [{}, {}]
    assert list(calls) == [user.pk]
    call = calls[user.pk]
    assert (call.wallet, call.cross_wallet, call.ratio.quantize(D("0.0001"))) == (
        D(3070),
        D(3070),
        D("0.8741"),
    )
    [p] = call.positions
    assert (p.size, p.mark, p.unrealized_pnl, p.maintenance_margin, p.margin_type) == (
        D(1),
        D(57200),
        D(-2800),
        D(236),
        MarginType.CROSSED,
    )


def test_an_isolated_position_is_called_on_its_own_margin(assets, make_user):
    # given the same long isolated with its 3,000 initial margin (cross wallet 70)
    contract = btc_perpetual(assets)
    user = _account(make_user, contract, isolated_margin=D(3000))
    # when the mark is 57,300 (236.5 / 300 = 78.8 %), then 57,250 (236.25 / 250 = 94.5 %)
    below = margin_calls(
        asset=contract.margin_asset, marks={contract.pk: D(57300)}, mark_of=lambda c: None
    )
    calls = margin_calls(
        asset=contract.margin_asset, marks={contract.pk: D(57250)}, mark_of=lambda c: None
    )
    # then only the second is a call, of the isolated position, with the cross wallet left
    assert below == {}
    call = calls[user.pk]
    assert (call.cross_wallet, call.ratio) == (D(70), D("236.25") / D(250))
    [p] = call.positions
    assert (p.margin_type, p.isolated_margin, p.maintenance_margin) == (
        MarginType.ISOLATED,
        D(3000),
        D("236.25"),
    )


def test_a_contract_without_a_mark_of_the_batch_takes_the_latest_published(assets, make_user):
    contract = btc_perpetual(assets)
    user = _account(make_user, contract)
    calls = margin_calls(asset=contract.margin_asset, marks={}, mark_of=lambda c: D(57200))
    assert list(calls) == [user.pk] and calls[user.pk].positions[0].mark == D(57200)


def test_a_call_shows_the_account_summarys_figures_for_cross_and_isolated(assets, make_user):
    # given: test_account_summary's account: 9,970 USDT, 1 BTC long isolated on 3,000 at
    # 60,000, and a cross short of 10 ETH at 3,000 (cross wallet 6,970)
    user, btc, eth = two_positions(assets, make_user, btc_size="1", isolated_margin="3000")
    marks = {btc.pk: D(57250), eth.pk: D(3680)}
    # when: both margins are in the zone: BTC's 236.25 / (3,000 - 2,750) = 94.5 %, the
    # cross 147.2 / (6,970 - 6,800) = 86.6 %
    call = margin_calls(asset=btc.margin_asset, marks=marks, mark_of=lambda c: None)[user.pk]
    summary = account_figures(user=user, mark_of=lambda c: marks[c.pk])
    # then: the call's wallet and positions are the summary's, field for field
    [usdt] = summary.assets
    assert (call.wallet, call.cross_wallet) == (usdt.wallet, usdt.cross_wallet)
    assert (usdt.wallet, usdt.cross_wallet) == (D(9970), D(6970))
    called = {p.contract.symbol: p for p in call.positions}
    assert called == {p.contract.symbol: p for p in summary.positions}
    assert [(p.margin_type, p.unrealized_pnl, p.maintenance_margin) for p in call.positions] == [
        (MarginType.CROSSED, D(-6800), D("147.2")),
        (MarginType.ISOLATED, D(-2750), D("236.25")),
    ]
    # and: the ratio is the higher of the two, from the summary's own totals
    cross = usdt.cross_maintenance_margin / (usdt.cross_wallet + usdt.cross_unrealized_pnl)
    isolated = called["BTCUSDT"].maintenance_margin / (
        called["BTCUSDT"].isolated_margin + called["BTCUSDT"].unrealized_pnl
    )
    assert call.ratio == max(cross, isolated) == D("236.25") / D(250)
