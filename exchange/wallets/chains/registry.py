"""Which adapter serves a network, and which asset a (network, contract) is.

Adapters are named by module path and imported on first use: web3 and its key
stack cost every process (web, workers, engines) tens of megabytes and a second
of start-up, and only the chain watcher and a few requests need them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import import_module
from typing import cast

from exchange.wallets.chains.base import ChainAdapter
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import Asset, AssetNetwork, Network

ADAPTERS: dict[str, str] = {
    "sim": "exchange.wallets.chains.simchain.SimChainAdapter",
    "evm": "exchange.wallets.chains.evm.EvmAdapter",
}


@cache
def _factory(name: str) -> Callable[[Network], ChainAdapter]:
    try:
        module, _, attribute = ADAPTERS[name].rpartition(".")
    except KeyError as exc:
        raise WalletError(WalletErrorCode.UNKNOWN_NETWORK, f"No chain adapter {name!r}.") from exc
    return cast("Callable[[Network], ChainAdapter]", getattr(import_module(module), attribute))


def adapter_for(network: Network) -> ChainAdapter:
    return _factory(network.adapter)(network)


def asset_network(*, asset: Asset, network: str) -> AssetNetwork | None:
    """The registry entry of ``asset`` on ``network``; None for a network paid by hand."""
    return (
        AssetNetwork.objects.select_related("network", "asset")
        .filter(asset=asset, network__code=network.strip().upper())
        .first()
    )


def contracts(network: Network) -> dict[str, AssetNetwork]:
    """{contract: entry} of the network's assets ("" is the native coin)."""
    return {
        entry.contract.lower(): entry
        for entry in AssetNetwork.objects.select_related("asset").filter(network=network)
    }
