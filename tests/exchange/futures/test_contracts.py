"""Contracts: created and halted by audited actions, announced to the engine exactly."""

from __future__ import annotations

from decimal import Decimal

import msgpack
import pytest

from exchange.audit.models import AuditAction, AuditRecord
from exchange.core.redis import get_redis
from exchange.futures import units
from exchange.futures.actions import BracketSpec, do_create_contract, do_set_contract_status
from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.models import Contract, ContractStatus
from matching_engine.futures.engine import MarginGroup
from matching_engine.futures.protocol import (
    FuturesCommand,
    FuturesResult,
    encode_mark_price,
    encode_place,
)
from matching_engine.protocol import FIELD, input_stream
from tests.exchange.futures.support import GROUP, btc_perpetual

D = Decimal
pytestmark = pytest.mark.django_db


def announced() -> list[list[object]]:
    return [msgpack.unpackb(f[FIELD]) for _, f in get_redis().xrange(input_stream(GROUP))]


def test_a_contract_is_created_audited_and_announced_in_engine_units(
    assets, redis_client, django_capture_on_commit_callbacks
):
    # when: an operator creates the BTCUSDT perpetual
    with django_capture_on_commit_callbacks(execute=True):
        contract = btc_perpetual(assets)
    # then: engine id 1, its brackets stored, an audit record
    assert contract.engine_id == 1
    assert [b.max_leverage for b in contract.brackets.all()] == [125, 100, 20]
    record = AuditRecord.objects.get(action=AuditAction.CONTRACT_CREATE)
    assert record.after["symbol"] == "BTCUSDT"
    # and: CONTRACT_CREATE in atoms of 10^-8 USDT: 0.1 x 0.001 USDT = 10,000 atoms per tick x lot
    (command,) = announced()
    assert command[1] == FuturesCommand.CONTRACT_CREATE
    assert command[2:] == [
        1,
        "BTCUSDT",
        10_000,
        5 * 10**8,
        20_000,
        50_000,
        500_000,
        750_000,
        [[50_000 * 10**8, 125, 400_000], [250_000 * 10**8, 100, 500_000], [10**17, 20, 2_500_000]],
        1,
    ]
    # and: the real state machine accepts it
    group = MarginGroup(GROUP)
    assert (
        msgpack.unpackb(group.apply(get_redis().xrange(input_stream(GROUP))[0][1][FIELD]))[2] == 0
    )


def test_the_symbol_of_a_spot_market_is_free_for_a_perpetual(btcusdt, assets, redis_client):
    contract = btc_perpetual(assets)
    assert contract.symbol == btcusdt.symbol == "BTCUSDT"


@pytest.mark.parametrize(
    ("tick", "step", "brackets"),
    [
        ("0.00001", "0.0001", [("50000", 125, "0.004")]),  # tick x step finer than 10^-8
        ("0.1", "0.001", [("50000", 125, "0.004"), ("40000", 100, "0.005")]),  # caps fall
        ("0.1", "0.001", [("50000", 125, "0.01")]),  # maintenance above 1/leverage
        ("0.1", "0.001", []),
    ],
)
def test_a_contract_the_engine_cannot_hold_exactly_is_refused(assets, tick, step, brackets):
    with pytest.raises(FuturesError) as refused:
        do_create_contract(
            base=assets["ETH"],
            quote=assets["USDT"],
            tick_size=D(tick),
            step_size=D(step),
            brackets=[BracketSpec(D(c), lev, D(m)) for c, lev, m in brackets],
        )
    assert refused.value.code == FuturesErrorCode.INVALID_CONTRACT
    assert not Contract.objects.exists()


def test_halting_is_audited_and_the_engine_refuses_new_orders(
    assets, redis_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        contract = btc_perpetual(assets)
    with django_capture_on_commit_callbacks(execute=True):
        do_set_contract_status(symbol="btcusdt", status=ContractStatus.HALTED)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.HALTED
    record = AuditRecord.objects.get(action=AuditAction.CONTRACT_STATUS)
    assert (record.before, record.after) == ({"status": "TRADING"}, {"status": "HALTED"})
    group = MarginGroup(GROUP)
    outputs = [group.apply(f[FIELD]) for _, f in get_redis().xrange(input_stream(GROUP))]
    assert [msgpack.unpackb(o)[2] for o in outputs] == [0, 0]
    group.apply(encode_mark_price(contract=1, price=600_000))
    place = encode_place(order_id=1, user_id=1, contract=1, side=0, price=600_000, quantity=1)
    assert msgpack.unpackb(group.apply(place))[2] == FuturesResult.CONTRACT_HALTED


def test_units_convert_exactly_or_refuse(assets):
    contract = btc_perpetual(assets)
    assert units.to_ticks(contract, D("60000.1")) == 600_001
    assert units.to_lots(contract, D("0.333")) == 333
    assert units.price_of(contract, 600_001) == D("60000.1")
    assert units.amount_of(contract, 1) == D("0.00000001")
    assert units.to_rate(D("0.0001")) == 10_000
    with pytest.raises(ValueError, match="multiple"):
        units.to_ticks(contract, D("60000.05"))
