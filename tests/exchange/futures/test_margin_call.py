"""Margin calls at 80 % margin ratio, on docs/futures.md's worked account: 3,070 USDT,
long 1 BTC at 60,000 at 20x (maintenance at a mark M above 50,000: 0.5 % x M - 50)."""

from __future__ import annotations

from decimal import Decimal

from exchange.futures.margin_call import margin_calls
from exchange.futures.models import FuturesWallet, MarginType, Position
from tests.exchange.futures.support import btc_perpetual

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
