"""The EVM chain adapter (web3.py): the native coin (ETH or any EVM chain's) and ERC-20 tokens.

Keys: every address is derived from one BIP-39 mnemonic (``EVM_HD_MNEMONIC``, from
the environment, never the database) on the BIP-44 path ``m/44'/60'/0'/0/i``;
index 0 is the hot wallet, index ``user_id`` a user's deposit address. A deposit
address can therefore be re-derived (and swept) later, and a database dump holds
no key. Keys are derived on demand and never logged or stored.

The node is ``EVM_RPC_URLS[network.code]``: an ``http(s)://`` JSON-RPC URL, or
``eth-tester://NAME`` for an in-process EVM (eth-tester with py-evm, a dev
dependency) kept per NAME for the life of the process: the tests and a node-less
demo. The chain id is the node's, checked against ``EVM_CHAIN_IDS`` when set.

A token is an ``AssetNetwork`` with a ``contract`` and its ``decimals`` (checked
against the contract's own before the first use); deposits are its ``Transfer``
logs to our addresses, payouts a ``transfer()`` call (ADR 0040). Nonces come from
``evm_nonces`` so concurrent signers never share or skip one.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound

from exchange.wallets.chains.base import IncomingTransfer, SignedPayout, TxState, TxStatus
from exchange.wallets.chains.evm_nonces import allocate_nonce
from exchange.wallets.chains.evm_tokens import (
    TOKEN_TRANSFER_GAS,
    token,
    transfer_data,
    transfer_logs,
)
from exchange.wallets.chains.evm_units import from_units, to_units
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import AssetNetwork, Network

ETHER_DECIMALS = 18
TRANSFER_GAS = 21_000  # a plain value transfer to an account without code
HOT_INDEX = 0

Account.enable_unaudited_hdwallet_features()


def to_wei(amount: Decimal) -> int:
    return to_units(amount, ETHER_DECIMALS)


def from_wei(wei: int) -> Decimal:
    return from_units(wei, ETHER_DECIMALS)


@cache
def _in_process_chain(name: str) -> Web3:
    """One in-process EVM per name, shared by every adapter of this process."""
    from web3 import EthereumTesterProvider  # eth-tester is a dev dependency

    return Web3(EthereumTesterProvider())


def connect(network: Network) -> Web3:
    """The node of ``network``, from ``settings.EVM_RPC_URLS``."""
    url = settings.EVM_RPC_URLS.get(network.code, "")
    if not url:
        raise WalletError(
            WalletErrorCode.UNKNOWN_NETWORK, f"No EVM_RPC_URLS entry for {network.code}."
        )
    if url.startswith("eth-tester://"):
        return _in_process_chain(url.removeprefix("eth-tester://"))
    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 10}))


def derive_account(index: int) -> LocalAccount:
    """The account at ``m/44'/60'/0'/0/index`` of the configured mnemonic."""
    mnemonic = settings.EVM_HD_MNEMONIC
    if not mnemonic:
        raise WalletError(WalletErrorCode.UNKNOWN_NETWORK, "EVM_HD_MNEMONIC is not set.")
    account: LocalAccount = Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")
    return account


class EvmAdapter:
    """The chain adapter of an EVM network (``Network.adapter == "evm"``)."""

    def __init__(self, network: Network, w3: Web3 | None = None) -> None:
        self.network = network
        self.w3 = w3 or connect(network)
        self._token_decimals: dict[str, int] = {}
        expected = settings.EVM_CHAIN_IDS.get(network.code)
        if expected is not None and int(expected) != self.w3.eth.chain_id:
            raise WalletError(
                WalletErrorCode.UNKNOWN_NETWORK,
                f"{network.code}'s node is chain {self.w3.eth.chain_id}, not {expected}.",
            )

    def _decimals(self, contract: str) -> int:
        """The token's decimals as configured, once checked against the contract's own."""
        key = contract.lower()
        if key not in self._token_decimals:
            entry = AssetNetwork.objects.filter(
                network=self.network, contract__iexact=contract
            ).first()
            if entry is None:
                raise WalletError(
                    WalletErrorCode.UNKNOWN_NETWORK,
                    f"{contract} is not a token of {self.network.code}.",
                )
            on_chain = int(token(self.w3, contract).functions.decimals().call())
            if on_chain != entry.decimals:
                raise WalletError(
                    WalletErrorCode.UNKNOWN_NETWORK,
                    f"{contract} on {self.network.code} is configured with"
                    f" {entry.decimals} decimals; its contract has {on_chain}.",
                )
            self._token_decimals[key] = on_chain
        return self._token_decimals[key]

    def allocate_address(self, *, user_id: int) -> tuple[str, str]:
        if user_id <= HOT_INDEX:
            raise ValueError("user ids start at 1; index 0 is the hot wallet")
        return derive_account(user_id).address, ""

    def validate_address(self, address: str, memo: str) -> bool:
        """A 0x address with a valid EIP-55 checksum (all-lowercase has none: refused)."""
        return memo == "" and Web3.is_checksum_address(address)

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def block_hash(self, number: int) -> str | None:
        if number < 0 or number > self.head():
            return None
        return HexBytes(self.w3.eth.get_block(number)["hash"]).to_0x_hex()

    def incoming(
        self, *, from_block: int, to_block: int, addresses: set[str]
    ) -> list[IncomingTransfer]:
        """Native value transfers and token ``Transfer`` logs to ``addresses``."""
        ours = {a.lower(): a for a in addresses}
        to_block = min(to_block, self.head())
        return self._native_incoming(from_block, to_block, ours) + self._token_incoming(
            from_block, to_block, ours
        )

    def _token_incoming(
        self, from_block: int, to_block: int, ours: dict[str, str]
    ) -> list[IncomingTransfer]:
        tokens = AssetNetwork.objects.filter(network=self.network).exclude(contract="")
        contracts = [entry.contract for entry in tokens]
        if from_block > to_block:
            return []
        return [
            IncomingTransfer(
                txid=log.txid,
                log_index=log.log_index,
                block_number=log.block_number,
                block_hash=log.block_hash,
                address=ours[log.to],
                memo="",
                contract=log.contract,
                amount=from_units(log.units, self._decimals(log.contract)),
            )
            for log in transfer_logs(
                self.w3, contracts=contracts, from_block=max(from_block, 0), to_block=to_block
            )
            if log.to in ours and log.units
        ]

    def _native_incoming(
        self, from_block: int, to_block: int, ours: dict[str, str]
    ) -> list[IncomingTransfer]:
        """Plain value transfers (made inside contract calls are not seen: they need
        traces); log index 0, one per transaction."""
        found = []
        for number in range(max(from_block, 0), to_block + 1):
            block = self.w3.eth.get_block(number, full_transactions=True)
            for tx in block["transactions"]:
                assert not isinstance(tx, bytes)
                to = tx.get("to")
                if not to or to.lower() not in ours or not tx["value"]:
                    continue
                receipt = self.w3.eth.get_transaction_receipt(tx["hash"])
                if receipt["status"] != 1:
                    continue
                found.append(
                    IncomingTransfer(
                        txid=HexBytes(tx["hash"]).to_0x_hex(),
                        log_index=0,  # one native transfer per transaction
                        block_number=number,
                        block_hash=HexBytes(block["hash"]).to_0x_hex(),
                        address=ours[to.lower()],
                        memo="",
                        contract="",
                        amount=from_wei(tx["value"]),
                    )
                )
        return found

    def _fees(self) -> tuple[int, int]:
        """(max fee, priority fee) per gas: twice the base fee absorbs six full blocks."""
        base = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0))
        priority = int(self.w3.eth.max_priority_fee)
        return 2 * base + priority, priority

    def estimate_fee(self, *, contract: str, amount: Decimal) -> Decimal:
        """The most the payout can cost (gas limit × max fee); the chain charges at most this."""
        gas = TOKEN_TRANSFER_GAS if contract else TRANSFER_GAS
        return from_wei(gas * self._fees()[0])

    def sign_payout(
        self, *, reference: str, contract: str, to: str, memo: str, amount: Decimal
    ) -> SignedPayout:
        """A transfer of ``amount`` from the hot wallet; call inside the transaction that
        records it (the nonce is allocated there).

        ``reference`` is not put on chain: the recorded txid ties the two together.
        """
        hot = derive_account(HOT_INDEX)
        if hot.address.lower() != self.network.hot_address.lower():
            raise WalletError(
                WalletErrorCode.UNKNOWN_NETWORK,
                f"{self.network.code}'s hot address is not the mnemonic's index 0.",
            )
        return self.sign_transfer(account=hot, contract=contract, to=to, amount=amount)

    def sign_transfer(
        self, *, account: LocalAccount, contract: str, to: str, amount: Decimal
    ) -> SignedPayout:
        """An EIP-1559 transfer of the coin ("") or a token from ``account`` at its next
        nonce; call inside the transaction that records the signed transaction."""
        max_fee, priority = self._fees()
        tx: dict[str, Any] = {
            "chainId": self.w3.eth.chain_id,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority,
            "type": 2,
        }
        if contract:
            units = to_units(amount, self._decimals(contract))
            tx |= {
                "to": to_checksum_address(contract),
                "value": 0,
                "gas": TOKEN_TRANSFER_GAS,
                "data": transfer_data(self.w3, contract, to=to, units=units),
            }
        else:
            tx |= {"to": to_checksum_address(to), "value": to_wei(amount), "gas": TRANSFER_GAS}
        chain_next = self.w3.eth.get_transaction_count(account.address, "pending")
        tx["nonce"] = allocate_nonce(
            network=self.network, address=account.address, chain_next=chain_next
        )
        signed = account.sign_transaction(tx)
        return SignedPayout(
            txid=HexBytes(signed.hash).to_0x_hex(), raw=HexBytes(signed.raw_transaction).to_0x_hex()
        )

    def broadcast(self, raw: str) -> None:
        """Send the signed transaction; a node that already has it (or mined it) is fine."""
        txid = HexBytes(Web3.keccak(HexBytes(raw))).to_0x_hex()
        if self._known(txid):
            return
        self.w3.eth.send_raw_transaction(HexBytes(raw))

    def _known(self, txid: str) -> bool:
        try:
            self.w3.eth.get_transaction(txid)  # type: ignore[arg-type]
        except TransactionNotFound:
            return False
        return True

    def status(self, txid: str) -> TxStatus:
        try:
            receipt = self.w3.eth.get_transaction_receipt(txid)  # type: ignore[arg-type]
        except TransactionNotFound:
            return TxStatus(TxState.PENDING if self._known(txid) else TxState.UNKNOWN)
        confirmations = self.head() - int(receipt["blockNumber"]) + 1
        state = TxState.MINED if receipt["status"] == 1 else TxState.FAILED
        return TxStatus(state, confirmations)

    def network_fee(self, txid: str) -> Decimal:
        """What a mined transaction cost the hot wallet (gas used × effective price)."""
        receipt: Any = self.w3.eth.get_transaction_receipt(txid)  # type: ignore[arg-type]
        return from_wei(int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"]))

    def balance(self, *, address: str, contract: str) -> Decimal:
        owner = to_checksum_address(address)
        if not contract:
            return from_wei(self.w3.eth.get_balance(owner))
        units = int(token(self.w3, contract).functions.balanceOf(owner).call())
        return from_units(units, self._decimals(contract))

    def hot_balance(self, *, contract: str) -> Decimal:
        return self.balance(address=self.network.hot_address, contract=contract)
