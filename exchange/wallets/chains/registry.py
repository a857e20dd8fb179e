"""Which adapter serves a network, and which asset a (network, contract) is."""

from __future__ import annotations

from collections.abc import Callable

from exchange.wallets.chains.base import ChainAdapter
from exchange.wallets.chains.evm import EvmAdapter
from exchange.wallets.chains.simchain import SimChainAdapter
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import Asset, AssetNetwork, Network

ADAPTERS: dict[str, Callable[[Network], ChainAdapter]] = {
    "sim": SimChainAdapter,
    "evm": EvmAdapter,
}


def adapter_for(network: Network) -> ChainAdapter:
    try:
        factory = ADAPTERS[network.adapter]
    except KeyError as exc:
        raise WalletError(
            WalletErrorCode.UNKNOWN_NETWORK, f"No chain adapter {network.adapter!r}."
        ) from exc
    return factory(network)


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
