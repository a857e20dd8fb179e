"""A simulated network (adapter ``sim``) with BTC as its coin and USDT as a token."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.wallets.chains.simchain import SimChainAdapter, sim_address, sim_deposit, sim_mine
from exchange.wallets.models import Asset, AssetNetwork, Network

USDT_CONTRACT = "sim-usdt-token"


@pytest.fixture
def simnet(assets: dict[str, Asset]) -> Network:
    network = Network.objects.create(
        code="SIM", name="Simulated chain", adapter="sim", hot_address=sim_address("hot")
    )
    AssetNetwork.objects.create(
        asset=assets["BTC"],
        network=network,
        confirmations=3,
        withdraw_min=Decimal("0.001"),
        withdraw_fee=Decimal("0.0005"),
        daily_limit=Decimal("2"),
    )
    AssetNetwork.objects.create(
        asset=assets["USDT"],
        network=network,
        contract=USDT_CONTRACT,
        confirmations=2,
        withdraw_min=Decimal("10"),
        withdraw_fee=Decimal("1"),
    )
    return network


@pytest.fixture
def chain(simnet: Network) -> SimChainAdapter:
    return SimChainAdapter(simnet)


def fund_hot_wallet(network: Network, amount: str, contract: str = "") -> None:
    sim_deposit(network.code, to=network.hot_address, amount=Decimal(amount), contract=contract)
    sim_mine(network.code)
