"""An in-process EVM per test (eth-tester + py-evm) with network ETH, and our test
ERC-20 (contracts/TestToken.sol, compiled into test_token.json by `make test-token`)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from web3 import Web3

from exchange.wallets.chains.evm import EvmAdapter, derive_account, to_wei
from exchange.wallets.chains.evm_units import to_units
from exchange.wallets.chains.registry import adapter_for
from exchange.wallets.models import Asset, AssetNetwork, Network

MNEMONIC = "test test test test test test test test test test test junk"
PAYEE = "0x000000000000000000000000000000000000bEEF"
TEST_TOKEN = json.loads((Path(__file__).parent / "test_token.json").read_text())
USDC_DECIMALS = 6


@pytest.fixture
def evmnet(settings, assets) -> Network:
    """Network ETH on a fresh in-process EVM: ether with 3 confirmations."""
    settings.EVM_HD_MNEMONIC = MNEMONIC
    settings.EVM_RPC_URLS = {"ETH": f"eth-tester://{uuid.uuid4().hex}"}
    settings.EVM_CHAIN_IDS = {"ETH": 131277322940537}  # eth-tester's chain id
    network = Network.objects.create(
        code="ETH", name="Ethereum", adapter="evm", hot_address=derive_account(0).address
    )
    AssetNetwork.objects.create(
        asset=assets["ETH"],
        network=network,
        confirmations=3,
        withdraw_min=Decimal("0.01"),
        withdraw_fee=Decimal("0.001"),
    )
    return network


@pytest.fixture
def evm(evmnet) -> EvmAdapter:
    adapter = adapter_for(evmnet)
    assert isinstance(adapter, EvmAdapter)
    return adapter


def deploy_token(w3: Web3, *, symbol: str, decimals: int, supply: int) -> str:
    """Deploy TestToken from eth-tester's funded account (which holds the supply)."""
    factory = w3.eth.contract(abi=TEST_TOKEN["abi"], bytecode=TEST_TOKEN["bytecode"])
    txid = factory.constructor(symbol, symbol, decimals, supply).transact(
        {"from": w3.eth.accounts[0]}
    )
    return str(w3.eth.wait_for_transaction_receipt(txid)["contractAddress"])


@pytest.fixture
def usdc(evm: EvmAdapter, evmnet: Network) -> AssetNetwork:
    """USDC, a 6-decimals token on ETH listed with 8 places: 2 confirmations, min 5, fee 1."""
    asset = Asset.objects.create(code="USDC", name="USD Coin", precision=8)
    contract = deploy_token(evm.w3, symbol="USDC", decimals=USDC_DECIMALS, supply=10**15)
    return AssetNetwork.objects.create(
        asset=asset,
        network=evmnet,
        contract=contract,
        decimals=USDC_DECIMALS,
        confirmations=2,
        withdraw_min=Decimal("5"),
        withdraw_fee=Decimal("1"),
    )


def send_from_faucet(adapter: EvmAdapter, to: str, ether: str) -> str:
    """A transfer from eth-tester's funded account, mined at once in its own block."""
    w3 = adapter.w3
    txid = w3.eth.send_transaction(
        {"from": w3.eth.accounts[0], "to": to, "value": to_wei(Decimal(ether))}
    )
    return txid.to_0x_hex()


def send_tokens(adapter: EvmAdapter, entry: AssetNetwork, to: str, amount: str) -> str:
    """A token transfer from the deployer (eth-tester's funded account), mined at once."""
    w3 = adapter.w3
    contract = w3.eth.contract(
        address=Web3.to_checksum_address(entry.contract), abi=TEST_TOKEN["abi"]
    )
    units = to_units(Decimal(amount), entry.decimals)
    txid = contract.functions.transfer(to, units).transact({"from": w3.eth.accounts[0]})
    return txid.to_0x_hex()


def mine(adapter: EvmAdapter, blocks: int) -> None:
    adapter.w3.provider.ethereum_tester.mine_blocks(blocks)  # type: ignore[attr-defined]
