"""Contracts in the admin: created with their brackets and halted through audited actions."""

from __future__ import annotations

from decimal import Decimal

import msgpack
import pytest
from django.test import Client
from django.urls import reverse

from exchange.accounts.models import User
from exchange.audit.models import AuditAction, AuditRecord
from exchange.futures.models import Contract, ContractStatus
from matching_engine.futures.protocol import FuturesCommand
from matching_engine.protocol import FIELD, input_stream

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(db) -> Client:
    client = Client(REMOTE_ADDR="203.0.113.7")
    client.force_login(User.objects.create_superuser(email="ops@example.com", password="x"))
    return client


def test_an_operator_creates_a_perpetual_with_brackets_then_halts_it(
    operator_client, assets, btcusdt, redis_client, django_capture_on_commit_callbacks
):
    form = {
        "symbol": "BTCUSDT",
        "base_asset": assets["BTC"].pk,
        "quote_asset": assets["USDT"].pk,
        "margin_asset": assets["USDT"].pk,
        "tick_size": "0.1",
        "step_size": "0.001",
        "min_notional": "5",
        "maker_fee": "0.0002",
        "taker_fee": "0.0005",
        "liquidation_fee": "0.005",
        "funding_interval_seconds": "28800",
        "interest_rate": "0.0001",
        "funding_cap": "0.0075",
        "index_market": btcusdt.pk,
        "brackets-TOTAL_FORMS": "2",
        "brackets-INITIAL_FORMS": "0",
        "brackets-0-tier": "1",
        "brackets-0-notional_cap": "50000",
        "brackets-0-max_leverage": "125",
        "brackets-0-maintenance_rate": "0.004",
        "brackets-1-tier": "2",
        "brackets-1-notional_cap": "250000",
        "brackets-1-max_leverage": "100",
        "brackets-1-maintenance_rate": "0.005",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(reverse("admin:futures_contract_add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    contract = Contract.objects.get(symbol="BTCUSDT")
    assert [(b.notional_cap, b.max_leverage) for b in contract.brackets.all()] == [
        (Decimal("50000"), 125),
        (Decimal("250000"), 100),
    ]
    assert AuditRecord.objects.get(action=AuditAction.CONTRACT_CREATE).actor_email == (
        "ops@example.com"
    )
    with django_capture_on_commit_callbacks(execute=True):
        operator_client.post(
            reverse("admin:futures_contract_changelist"),
            {"action": "halt", "_selected_action": [contract.pk]},
        )
    contract.refresh_from_db()
    assert contract.status == ContractStatus.HALTED
    commands = [msgpack.unpackb(f[FIELD]) for _, f in redis_client.xrange(input_stream("USDT"))]
    assert [(c[1], c[-1]) for c in commands] == [
        (FuturesCommand.CONTRACT_CREATE, 1),
        (FuturesCommand.CONTRACT_CREATE, 2),
    ]
    assert operator_client.get(reverse("admin:futures_contract_changelist")).status_code == 200
    page = operator_client.get(reverse("admin:futures_contract_change", args=[contract.pk]))
    assert page.status_code == 200


def test_a_contract_the_engine_cannot_hold_is_refused_on_the_form(operator_client, assets):
    form = {
        "symbol": "ETHUSDT",
        "base_asset": assets["ETH"].pk,
        "quote_asset": assets["USDT"].pk,
        "margin_asset": assets["USDT"].pk,
        "tick_size": "0.00001",  # x step 0.0001 is finer than 10^-8 USDT
        "step_size": "0.0001",
        "min_notional": "5",
        "maker_fee": "0.0002",
        "taker_fee": "0.0005",
        "liquidation_fee": "0.005",
        "funding_interval_seconds": "28800",
        "interest_rate": "0.0001",
        "funding_cap": "0.0075",
        "brackets-TOTAL_FORMS": "1",
        "brackets-INITIAL_FORMS": "0",
        "brackets-0-tier": "1",
        "brackets-0-notional_cap": "50000",
        "brackets-0-max_leverage": "125",
        "brackets-0-maintenance_rate": "0.004",
    }
    response = operator_client.post(reverse("admin:futures_contract_add"), form, follow=True)
    assert response.status_code == 200
    assert "Not created: not exact in the engine&#x27;s units" in response.content.decode()
    assert not Contract.objects.exists()
    assert not AuditRecord.objects.filter(action=AuditAction.CONTRACT_CREATE).exists()
