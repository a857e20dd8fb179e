"""Market filters and exact Decimal <-> tick/lot conversion."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchange.markets.actions import do_create_market, do_set_market_status
from exchange.markets.errors import MarketError, MarketErrorCode
from exchange.markets.filters import (
    check_notional,
    clean_price,
    clean_quantity,
    lots_to_qty,
    price_to_ticks,
    qty_to_lots,
    ticks_to_price,
)
from exchange.markets.models import FeeOverride, Market, MarketStatus
from exchange.markets.selectors import fee_rates_for, get_market


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0", "INVALID_PRICE"),
        ("-1", "INVALID_PRICE"),
        ("x", "INVALID_PRICE"),
        (1.5, "INVALID_PRICE"),
        ("Infinity", "INVALID_PRICE"),
        ("100.001", "PRICE_TICK"),
    ],
)
def test_bad_prices(btcusdt, value, code):
    with pytest.raises(MarketError) as excinfo:
        clean_price(btcusdt, value)
    assert excinfo.value.code == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0", "INVALID_QUANTITY"),
        ("0.000015", "QUANTITY_STEP"),
        ("9000.00001", "QUANTITY_TOO_LARGE"),
    ],
)
def test_bad_quantities(btcusdt, value, code):
    with pytest.raises(MarketError) as excinfo:
        clean_quantity(btcusdt, value)
    assert excinfo.value.code == code


def test_quantity_below_min(assets):
    market = do_create_market(
        base=assets["ETH"],
        quote=assets["BTC"],
        tick_size=Decimal("0.00001"),
        step_size=Decimal("0.001"),
        min_qty=Decimal("0.01"),
        max_qty=Decimal("100"),
    )
    with pytest.raises(MarketError) as excinfo:
        clean_quantity(market, "0.009")
    assert excinfo.value.code == MarketErrorCode.QUANTITY_TOO_SMALL


def test_notional_bounds(btcusdt):
    check_notional(btcusdt, Decimal("5"))
    with pytest.raises(MarketError) as excinfo:
        check_notional(btcusdt, Decimal("4.99"))
    assert excinfo.value.code == MarketErrorCode.NOTIONAL_TOO_SMALL


def test_valid_values_pass_unchanged(btcusdt):
    assert clean_price(btcusdt, "65000.10") == Decimal("65000.10")
    assert clean_quantity(btcusdt, "0.12345") == Decimal("0.12345")


@pytest.mark.django_db
@given(
    ticks=st.integers(min_value=1, max_value=10**15),
    lots=st.integers(min_value=1, max_value=10**15),
)
def test_ticks_and_lots_round_trip_exactly(ticks, lots):
    market = Market(tick_size=Decimal("0.01"), step_size=Decimal("0.00001"))
    assert price_to_ticks(market, ticks_to_price(market, ticks)) == ticks
    assert qty_to_lots(market, lots_to_qty(market, lots)) == lots


def test_conversion_refuses_non_multiples(btcusdt):
    with pytest.raises(ValueError, match="not a multiple"):
        price_to_ticks(btcusdt, Decimal("1.005"))


def test_unknown_symbol(db):
    with pytest.raises(MarketError) as excinfo:
        get_market("DOGEUSDT")
    assert excinfo.value.code == MarketErrorCode.UNKNOWN_SYMBOL


def test_inconsistent_market_is_refused(assets):
    with pytest.raises(MarketError) as excinfo:
        do_create_market(
            base=assets["BTC"],
            quote=assets["USDT"],
            tick_size=Decimal("0.0000001"),
            step_size=Decimal("0.00001"),
            min_qty=Decimal("0.000015"),
            max_qty=Decimal("1"),
        )
    assert excinfo.value.code == MarketErrorCode.INVALID_MARKET
    assert "USDT precision" in excinfo.value.message and "min_qty" in excinfo.value.message
    assert not Market.objects.exists()


def test_halt_and_resume(btcusdt):
    do_set_market_status(symbol="btcusdt", status=MarketStatus.HALT)
    assert Market.objects.get().status == MarketStatus.HALT
    do_set_market_status(symbol="BTCUSDT", status=MarketStatus.TRADING)
    assert Market.objects.get().status == MarketStatus.TRADING


def test_fee_override_precedence(btcusdt, make_user):
    user = make_user()
    assert fee_rates_for(user_id=user.pk, market=btcusdt).taker == Decimal("0.002")
    FeeOverride.objects.create(
        user=user, market=None, maker_fee=Decimal("0.0005"), taker_fee=Decimal("0.001")
    )
    assert fee_rates_for(user_id=user.pk, market=btcusdt).taker == Decimal("0.001")
    FeeOverride.objects.create(
        user=user, market=btcusdt, maker_fee=Decimal("0"), taker_fee=Decimal("0.0001")
    )
    rates = fee_rates_for(user_id=user.pk, market=btcusdt)
    assert (rates.maker, rates.taker) == (Decimal("0"), Decimal("0.0001"))


def test_market_whose_trade_amounts_the_quote_asset_cannot_hold_is_refused(assets):
    # 0.01 x 0.0000001 = 1e-9 USDT per trade unit, finer than USDT's 8 places
    with pytest.raises(MarketError) as excinfo:
        do_create_market(
            base=assets["BTC"],
            quote=assets["USDT"],
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.0000001"),
            min_qty=Decimal("0.0000001"),
            max_qty=Decimal("1"),
        )
    assert "quote unit" in excinfo.value.message
