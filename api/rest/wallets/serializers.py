"""Shapes of balance, ledger and transfer requests and responses. No rules here."""

from __future__ import annotations

from rest_framework import serializers

from api.rest.fields import DecimalString, EpochMsField, LimitField, MoneyString, page_of
from exchange.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from exchange.wallets.models import (
    Balance,
    ChainTransfer,
    Deposit,
    LedgerLine,
    TransferStatus,
    Withdrawal,
    WithdrawalStatus,
)
from exchange.wallets.transfer_history import Progress


class BalanceOut(serializers.ModelSerializer[Balance]):
    asset = serializers.CharField(source="asset.code")
    available = DecimalString()
    locked = DecimalString()

    class Meta:
        model = Balance
        fields = ("asset", "available", "locked")


class WithdrawalIn(serializers.Serializer):
    asset = serializers.CharField(max_length=16)
    amount = MoneyString(required=True, help_text='Decimal string, e.g. "0.015".')
    network = serializers.CharField(max_length=32)
    address = serializers.CharField(max_length=128)
    memo = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="Tag or memo, where needed."
    )
    otp_code = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="Required when two-factor is on, unless the request is signed with an API key.",
    )


class WithdrawalOut(serializers.ModelSerializer[Withdrawal]):
    """``amount`` is what was debited; the address receives ``amount - fee``."""

    asset = serializers.CharField(source="asset.code")
    amount = DecimalString()
    fee = DecimalString()
    txid = serializers.CharField(help_text="Empty until the payout is signed.")
    confirmations = serializers.IntegerField(help_text="Of the payout's transaction, once mined.")

    class Meta:
        model = Withdrawal
        fields = (
            "id",
            "asset",
            "amount",
            "fee",
            "network",
            "address",
            "memo",
            "status",
            "txid",
            "confirmations",
            "created_at",
            "decided_at",
            "sent_at",
            "completed_at",
        )


class HistoryQuery(serializers.Serializer):
    asset = serializers.CharField(max_length=16, required=False)
    start = EpochMsField(help_text="From (ms, inclusive).")
    end = EpochMsField(help_text="Up to (ms, inclusive).")
    cursor = serializers.CharField(max_length=200, required=False)
    limit = LimitField(default=DEFAULT_LIMIT, maximum=MAX_LIMIT)


class WithdrawalQuery(HistoryQuery):
    status = serializers.CharField(
        max_length=16, required=False, help_text="One of " + ", ".join(WithdrawalStatus.values)
    )


class DepositOut(serializers.ModelSerializer[Deposit]):
    asset = serializers.CharField(source="asset.code")
    amount = DecimalString()

    class Meta:
        model = Deposit
        fields = ("id", "asset", "amount", "network", "txid", "created_at")


class ChainDepositOut(serializers.Serializer):
    """A transfer the watcher saw to one of the caller's addresses, with its progress."""

    id = serializers.IntegerField()
    deposit_id = serializers.IntegerField(
        allow_null=True, help_text="The credit (see /deposits), once credited."
    )
    asset = serializers.CharField(source="asset.code")
    amount = DecimalString()
    network = serializers.CharField(source="network.code")
    address = serializers.CharField()
    memo = serializers.CharField(allow_blank=True)
    txid = serializers.CharField()
    log_index = serializers.IntegerField()
    block_number = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=TransferStatus.choices,
        help_text="SEEN (confirming), CREDITED, ORPHANED (reorganised away before credit),"
        " REORGED (after credit: an operator decides), DUST (below the asset's precision).",
    )
    confirmations = serializers.SerializerMethodField()
    required_confirmations = serializers.SerializerMethodField()
    seen_at = serializers.DateTimeField()

    def _progress(self, row: ChainTransfer) -> Progress:
        progress: dict[int, Progress] = self.context["progress"]
        return progress[row.pk]

    def get_confirmations(self, row: ChainTransfer) -> int:
        return self._progress(row).confirmations

    def get_required_confirmations(self, row: ChainTransfer) -> int:
        return self._progress(row).required


class LedgerLineOut(serializers.ModelSerializer[LedgerLine]):
    """One line of a journal entry on the caller's account: a signed change of one bucket."""

    asset = serializers.CharField(source="asset.code")
    amount = DecimalString()
    entry_id = serializers.IntegerField()
    reason = serializers.CharField(source="entry.reason")
    reference = serializers.CharField(source="entry.reference")
    created_at = serializers.DateTimeField(source="entry.created_at")

    class Meta:
        model = LedgerLine
        fields = (
            "id",
            "entry_id",
            "asset",
            "bucket",
            "amount",
            "reason",
            "reference",
            "created_at",
        )


WithdrawalPage = page_of(WithdrawalOut, "WithdrawalPage")
DepositPage = page_of(DepositOut, "DepositPage")
ChainDepositPage = page_of(ChainDepositOut, "ChainDepositPage")
LedgerPage = page_of(LedgerLineOut, "LedgerPage")


class DepositAddressQuery(serializers.Serializer):
    asset = serializers.CharField(max_length=16)
    network = serializers.CharField(max_length=32, required=False)


class DepositAddressOut(serializers.Serializer):
    asset = serializers.CharField()
    network = serializers.CharField()
    address = serializers.CharField()
    memo = serializers.CharField(allow_blank=True)


class TestDepositIn(serializers.Serializer):
    asset = serializers.CharField(max_length=16)
    amount = MoneyString(required=True, help_text='Decimal string, e.g. "1000".')
    network = serializers.CharField(max_length=32, required=False)


class TestDepositOut(serializers.Serializer):
    asset = serializers.CharField()
    network = serializers.CharField()
    amount = DecimalString()
    address = serializers.CharField()
    txid = serializers.CharField()
    credited = serializers.BooleanField()
