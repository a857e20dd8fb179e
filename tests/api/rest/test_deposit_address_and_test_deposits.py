"""REST deposit address and the simulated chain's test deposits (the demo faucet)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.demo.simnet import seed_sim_network
from exchange.wallets.models import Balance, ChainTransfer, Network, TransferStatus
from tests.api.rest.conftest import error, rows_snapshot


@pytest.fixture
def sim(assets):
    return seed_sim_network(assets)


def _available(user, code: str) -> Decimal:
    row = Balance.objects.filter(account__user=user, asset__code=code).first()
    return row.available if row else Decimal(0)


def test_deposit_address_is_allocated_once(make_user, client_for, sim):
    client = client_for(make_user())
    first = client.get("/api/v1/deposit-address", {"asset": "BTC"})
    assert first.status_code == 200, first.json()
    body = first.json()
    assert body["network"] == "SIM"
    assert body["address"].startswith("sim")
    assert client.get("/api/v1/deposit-address", {"asset": "btc", "network": "SIM"}).json() == body
    assert error(client.get("/api/v1/deposit-address", {"asset": "XYZ"})) == (
        404,
        "UNKNOWN_ASSET",
    )
    assert error(client.get("/api/v1/deposit-address", {"asset": "BTC", "network": "ETH"})) == (
        400,
        "UNKNOWN_NETWORK",
    )


def test_a_test_deposit_is_credited_through_the_chain(make_user, client_for, sim):
    # given
    user = make_user()
    client = client_for(user)
    # when
    made = client.post("/api/v1/test-deposits", {"asset": "USDT", "amount": "1000"}, format="json")
    # then
    assert made.status_code == 201, made.json()
    assert made.json()["credited"] is True
    assert made.json()["amount"] == "1000"
    assert _available(user, "USDT") == Decimal(1000)
    transfer = ChainTransfer.objects.get(txid=made.json()["txid"])
    assert transfer.status == TransferStatus.CREDITED
    assert client.get("/api/v1/deposits").json()["results"][0]["amount"] == "1000"


def test_test_deposits_refuse_real_networks_and_large_amounts(make_user, client_for, sim, assets):
    # given: a network served by a real adapter
    real = Network.objects.create(code="ETHX", name="Ethereum", adapter="evm", hot_address="0x1")
    real.assets.create(asset=assets["ETH"], confirmations=12)
    client = client_for(make_user())
    before = rows_snapshot()
    # when / then
    assert error(
        client.post(
            "/api/v1/test-deposits",
            {"asset": "ETH", "amount": "1", "network": "ETHX"},
            format="json",
        )
    ) == (400, "TEST_DEPOSIT_UNAVAILABLE")
    assert error(
        client.post("/api/v1/test-deposits", {"asset": "BTC", "amount": "11"}, format="json")
    ) == (400, "TEST_DEPOSIT_TOO_LARGE")
    assert error(
        client.post("/api/v1/test-deposits", {"asset": "BTC", "amount": "0"}, format="json")
    ) == (400, "INVALID_AMOUNT")
    assert rows_snapshot() == before
    assert not ChainTransfer.objects.exists()
