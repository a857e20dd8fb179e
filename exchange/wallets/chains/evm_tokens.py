"""ERC-20 on an EVM node: the four calls and the one event the adapter uses.

Only the standard interface (EIP-20) is relied on: ``balanceOf``, ``decimals``,
``transfer`` and the ``Transfer(from, to, value)`` event, whose ``to`` is the second
indexed topic. ERC-721 emits an event with the same signature but four topics (the
token id is indexed); it is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract

ERC20_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "balanceOf",
        "stateMutability": "view",
        "inputs": [{"name": "owner", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    },
    {
        "type": "function",
        "name": "decimals",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "uint8"}],
    },
    {
        "type": "function",
        "name": "transfer",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "to", "type": "address"}, {"name": "value", "type": "uint256"}],
        "outputs": [{"name": "", "type": "bool"}],
    },
]
TRANSFER_TOPIC = HexBytes(Web3.keccak(text="Transfer(address,address,uint256)"))
# A bound on a token transfer's gas (a standard token to a new holder uses ~35-65k);
# the unused part is refunded. Fixed so signing needs no node call that could fail.
TOKEN_TRANSFER_GAS = 100_000


@dataclass(frozen=True)
class TokenLog:
    contract: str  # lower case
    txid: str
    log_index: int
    block_number: int
    block_hash: str
    to: str  # lower case
    units: int


def token(w3: Web3, contract: str) -> Contract:
    return w3.eth.contract(address=to_checksum_address(contract), abi=ERC20_ABI)


def transfer_data(w3: Web3, contract: str, *, to: str, units: int) -> str:
    """The call data of ``transfer(to, units)``."""
    return str(token(w3, contract).encode_abi("transfer", args=[to_checksum_address(to), units]))


def transfer_logs(
    w3: Web3, *, contracts: list[str], from_block: int, to_block: int
) -> list[TokenLog]:
    """Every ERC-20 ``Transfer`` the ``contracts`` emitted in from..to (inclusive)."""
    if not contracts:
        return []
    logs = w3.eth.get_logs(
        {
            "address": [to_checksum_address(c) for c in contracts],
            "topics": [TRANSFER_TOPIC.to_0x_hex()],
            "fromBlock": from_block,
            "toBlock": to_block,
        }
    )
    found = []
    for log in logs:
        topics = log["topics"]
        if len(topics) != 3 or log.get("removed"):
            continue
        found.append(
            TokenLog(
                contract=str(log["address"]).lower(),
                txid=HexBytes(log["transactionHash"]).to_0x_hex(),
                log_index=int(log["logIndex"]),
                block_number=int(log["blockNumber"]),
                block_hash=HexBytes(log["blockHash"]).to_0x_hex(),
                to="0x" + HexBytes(topics[2]).hex()[-40:],
                units=int.from_bytes(HexBytes(log["data"]), "big"),
            )
        )
    return found
