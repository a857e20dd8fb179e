"""The interface every chain adapter implements, and the values it returns.

An adapter speaks to one network (a node, a key service, or the simulated
chain). It decides nothing about money: the watcher and the payout worker
(``exchange.wallets.deposit_watch``, ``exchange.wallets.payouts``) decide,
and record what they decide in the database before they act.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from exchange.wallets.models import Network


@dataclass(frozen=True)
class IncomingTransfer:
    """A transfer to one of our addresses, as mined in the block ``block_hash``."""

    txid: str
    log_index: int
    block_number: int
    block_hash: str
    address: str
    memo: str
    contract: str  # "" for the native coin
    amount: Decimal


@dataclass(frozen=True)
class SignedPayout:
    txid: str
    raw: str


class TxState(StrEnum):
    UNKNOWN = "UNKNOWN"  # neither mined nor waiting: never broadcast, or dropped by a reorg
    PENDING = "PENDING"  # waiting to be mined
    MINED = "MINED"
    FAILED = "FAILED"  # mined, but reverted


@dataclass(frozen=True)
class TxStatus:
    state: TxState
    confirmations: int = 0


class ChainAdapter(Protocol):
    """One network's chain. Implementations: ``simchain.SimChainAdapter``."""

    network: Network

    def allocate_address(self, *, user_id: int) -> tuple[str, str]:
        """A new (address, memo) for the user's deposits; memo is "" where not needed."""

    def validate_address(self, address: str, memo: str) -> bool:
        """Whether a payout to this address (and memo) can reach its owner."""

    def head(self) -> int:
        """The number of the newest block (-1 on an empty chain)."""

    def block_hash(self, number: int) -> str | None:
        """The hash of the canonical block at ``number``; None above the head."""

    def incoming(
        self, *, from_block: int, to_block: int, addresses: set[str]
    ) -> list[IncomingTransfer]:
        """Successful transfers to ``addresses`` mined in blocks from..to (inclusive)."""

    def estimate_fee(self, *, contract: str, amount: Decimal) -> Decimal:
        """What the network charges the hot wallet to send this payout, in the native coin."""

    def sign_payout(
        self, *, reference: str, contract: str, to: str, memo: str, amount: Decimal
    ) -> SignedPayout:
        """Sign a transfer from the hot wallet; nothing leaves until it is broadcast."""

    def broadcast(self, raw: str) -> None:
        """Send a signed transaction; sending the same one again is harmless."""

    def status(self, txid: str) -> TxStatus:
        """Where a sent transaction is: waiting, mined (with confirmations), failed, unknown."""

    def hot_balance(self, *, contract: str) -> Decimal:
        """The hot wallet's balance of the native coin ("") or a token."""
