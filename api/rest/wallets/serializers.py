"""Shapes of balance and withdrawal requests and responses. No rules here."""

from __future__ import annotations

from rest_framework import serializers

from exchange.wallets.models import Balance, Withdrawal


class BalanceOut(serializers.ModelSerializer[Balance]):
    asset = serializers.CharField(source="asset.code")

    class Meta:
        model = Balance
        fields = ("asset", "available", "locked")


class WithdrawalIn(serializers.Serializer):
    asset = serializers.CharField(max_length=16)
    amount = serializers.CharField(max_length=64, help_text='Decimal string, e.g. "0.015".')
    network = serializers.CharField(max_length=32)
    address = serializers.CharField(max_length=128)


class WithdrawalOut(serializers.ModelSerializer[Withdrawal]):
    asset = serializers.CharField(source="asset.code")

    class Meta:
        model = Withdrawal
        fields = (
            "id",
            "asset",
            "amount",
            "network",
            "address",
            "status",
            "created_at",
            "decided_at",
        )
