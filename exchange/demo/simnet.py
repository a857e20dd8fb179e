"""The demo's chain: network SIM on the simulated chain, BTC as its coin, ETH and USDT as
tokens, and a hot wallet funded so demo withdrawals can be paid."""

from __future__ import annotations

from decimal import Decimal

from exchange.wallets.chains.simchain import SimChainAdapter, sim_address, sim_deposit, sim_mine
from exchange.wallets.models import Asset, AssetNetwork, Network

# asset: (contract, confirmations, withdraw minimum, fee, daily limit, hot-wallet float)
SIM_ASSETS = {
    "BTC": ("", 3, "0.001", "0.0005", "10", "100"),
    "ETH": ("sim-eth-token", 3, "0.01", "0.005", "100", "1000"),
    "USDT": ("sim-usdt-token", 2, "10", "1", "100000", "1000000"),
}


def seed_sim_network(assets: dict[str, Asset]) -> Network:
    """Create (once) the SIM network and its assets, and fund its hot wallet once."""
    network, _ = Network.objects.get_or_create(
        code="SIM",
        defaults={
            "name": "Simulated chain (demo)",
            "adapter": "sim",
            "hot_address": sim_address("demo-hot-wallet"),
        },
    )
    adapter = SimChainAdapter(network)
    funded = False
    for code, (contract, confirmations, minimum, fee, limit, float_) in SIM_ASSETS.items():
        AssetNetwork.objects.get_or_create(
            asset=assets[code],
            network=network,
            defaults={
                "contract": contract,
                "confirmations": confirmations,
                "withdraw_min": Decimal(minimum),
                "withdraw_fee": Decimal(fee),
                "daily_limit": Decimal(limit),
            },
        )
        if adapter.hot_balance(contract=contract) == 0:
            sim_deposit("SIM", to=network.hot_address, amount=Decimal(float_), contract=contract)
            funded = True
    if funded:
        sim_mine("SIM")
    return network
