"""A simulated test chain kept in the database: the embedded default's network.

``make run`` needs no node: deposits, blocks and reorganisations are made with
``manage.py simchain`` (or the functions here), and the adapter reads them the
way a node adapter reads a node. Because blocks and transactions are rows, the
chain survives restarts of every process, as a real chain would.

Addresses are ``sim`` + 36 hex digits + a 4-digit checksum, so a typo is caught.
Payouts are signed with an HMAC of the hot wallet's key (derived from
``SECRET_KEY``; a real adapter reads its key from the environment or a key
service) and refused by the chain if the signature is wrong. A payout the hot
wallet cannot cover is mined as failed, as a reverted transaction would be.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from exchange.wallets.chains.base import IncomingTransfer, SignedPayout, TxState, TxStatus
from exchange.wallets.models import Network, SimBlock, SimTx

FAUCET = "sim-faucet"
_ADDRESS = re.compile(r"sim([0-9a-f]{36})([0-9a-f]{4})")


def _checksum(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:4]


def sim_address(seed: str) -> str:
    """A valid simulated address derived from ``seed``."""
    body = hashlib.sha256(seed.encode()).hexdigest()[:36]
    return f"sim{body}{_checksum(body)}"


def _signing_key(network: str) -> bytes:
    return hashlib.sha256(f"simchain-hot-key:{network}:{settings.SECRET_KEY}".encode()).digest()


def _head(network: str) -> int:
    top = SimBlock.objects.filter(network=network).aggregate(top=Max("number"))["top"]
    return -1 if top is None else int(top)


def _balance(network: str, address: str, contract: str) -> Decimal:
    mined = SimTx.objects.filter(
        network=network, contract=contract, block__isnull=False, succeeded=True
    )
    received = mined.filter(recipient=address).values_list("amount", flat=True)
    sent = mined.filter(sender=address).values_list("amount", flat=True)
    return sum(received, Decimal(0)) - sum(sent, Decimal(0))


def sim_mine(network: str, count: int = 1) -> list[SimBlock]:
    """Mine ``count`` blocks; the first takes every waiting transaction."""
    blocks = []
    with transaction.atomic():
        for _ in range(count):
            number = _head(network) + 1
            parent = SimBlock.objects.filter(network=network, number=number - 1).first()
            seed = f"{network}:{number}:{parent.hash if parent else ''}:{secrets.token_hex(8)}"
            block = SimBlock.objects.create(
                network=network, number=number, hash=hashlib.sha256(seed.encode()).hexdigest()
            )
            for tx in SimTx.objects.filter(network=network, block__isnull=True).order_by("pk"):
                spendable = tx.sender == FAUCET or (
                    _balance(network, tx.sender, tx.contract) >= tx.amount
                )
                tx.block, tx.succeeded = block, spendable
                tx.save(update_fields=["block", "succeeded"])
            blocks.append(block)
    return blocks


def sim_deposit(
    network: str, *, to: str, amount: Decimal, contract: str = "", memo: str = ""
) -> str:
    """Put a transfer from the faucet to ``to`` in the mempool; return its txid."""
    txid = secrets.token_hex(32)
    SimTx.objects.create(
        network=network,
        txid=txid,
        sender=FAUCET,
        recipient=to,
        memo=memo,
        contract=contract,
        amount=amount,
    )
    return txid


def sim_reorg(network: str, *, depth: int, drop: bool = True) -> list[SimBlock]:
    """Replace the newest ``depth`` blocks by as many new ones.

    With ``drop`` their transactions vanish (a double spend won); without, they
    go back to the mempool and are mined again in the first new block.
    """
    with transaction.atomic():
        orphaned = SimBlock.objects.filter(network=network, number__gt=_head(network) - depth)
        count = orphaned.count()
        if drop:
            SimTx.objects.filter(block__in=orphaned).delete()
        orphaned.delete()
        return sim_mine(network, count) if count else []


class SimChainAdapter:
    """The chain adapter of the simulated chain (``Network.adapter == "sim"``)."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.code = network.code

    def allocate_address(self, *, user_id: int) -> tuple[str, str]:
        if self.network.memo_required:
            return self.network.hot_address, str(user_id)
        return sim_address(f"{self.code}:deposit:{user_id}"), ""

    def validate_address(self, address: str, memo: str) -> bool:
        match = _ADDRESS.fullmatch(address)
        if match is None or _checksum(match.group(1)) != match.group(2):
            return False
        shared = self.network.memo_required and address == self.network.hot_address
        return memo.isdigit() if shared else True

    def head(self) -> int:
        return _head(self.code)

    def block_hash(self, number: int) -> str | None:
        block = SimBlock.objects.filter(network=self.code, number=number).first()
        return block.hash if block else None

    def incoming(
        self, *, from_block: int, to_block: int, addresses: set[str]
    ) -> list[IncomingTransfer]:
        rows = (
            SimTx.objects.filter(
                network=self.code,
                block__number__gte=from_block,
                block__number__lte=to_block,
                recipient__in=addresses,
                succeeded=True,
            )
            .select_related("block")
            .order_by("block__number", "pk")
        )
        return [
            IncomingTransfer(
                txid=tx.txid,
                log_index=tx.log_index,
                block_number=tx.block.number,
                block_hash=tx.block.hash,
                address=tx.recipient,
                memo=tx.memo,
                contract=tx.contract,
                amount=tx.amount,
            )
            for tx in rows
            if tx.block is not None
        ]

    def estimate_fee(self, *, contract: str, amount: Decimal) -> Decimal:
        return Decimal("0.0001") if contract else Decimal("0.00002")

    def sign_payout(
        self, *, reference: str, contract: str, to: str, memo: str, amount: Decimal
    ) -> SignedPayout:
        body = json.dumps(
            {
                "network": self.code,
                "from": self.network.hot_address,
                "to": to,
                "memo": memo,
                "contract": contract,
                "amount": str(amount),
                "reference": reference,
            },
            sort_keys=True,
        )
        signature = hmac.new(_signing_key(self.code), body.encode(), "sha256").hexdigest()
        raw = json.dumps({"tx": body, "sig": signature})
        return SignedPayout(txid=hashlib.sha256(raw.encode()).hexdigest(), raw=raw)

    def broadcast(self, raw: str) -> None:
        envelope = json.loads(raw)
        expected = hmac.new(_signing_key(self.code), envelope["tx"].encode(), "sha256").hexdigest()
        if not hmac.compare_digest(expected, envelope["sig"]):
            raise ValueError("bad signature")
        tx = json.loads(envelope["tx"])
        SimTx.objects.bulk_create(
            [
                SimTx(
                    network=self.code,
                    txid=hashlib.sha256(raw.encode()).hexdigest(),
                    sender=tx["from"],
                    recipient=tx["to"],
                    memo=tx["memo"],
                    contract=tx["contract"],
                    amount=Decimal(tx["amount"]),
                )
            ],
            ignore_conflicts=True,
        )

    def status(self, txid: str) -> TxStatus:
        tx = SimTx.objects.filter(network=self.code, txid=txid).select_related("block").first()
        if tx is None:
            return TxStatus(TxState.UNKNOWN)
        if tx.block is None:
            return TxStatus(TxState.PENDING)
        confirmations = self.head() - tx.block.number + 1
        return TxStatus(TxState.MINED if tx.succeeded else TxState.FAILED, confirmations)

    def hot_balance(self, *, contract: str) -> Decimal:
        return _balance(self.code, self.network.hot_address, contract)
