"""Back office for the chains: networks and their assets, deposit addresses, and the
transfers the watcher saw — filter by status to find stuck (SEEN) or REORGED deposits.

Read-only: networks change by data migration or seed, transfers only by the watcher.
Stuck payouts are withdrawals filtered by status (APPROVED with a txid, or SENT);
stuck sweeps are sweeps in GAS_SENT or SENT for long, or FAILED.
"""

from __future__ import annotations

from django.contrib import admin

from admin_ui.admin.mixins import ReadOnlyMixin
from exchange.wallets.models import (
    AssetNetwork,
    ChainCursor,
    ChainTransfer,
    DepositAddress,
    Network,
    Sweep,
)


class AssetNetworkInline(ReadOnlyMixin, admin.TabularInline[AssetNetwork, Network]):
    model = AssetNetwork
    extra = 0
    fields = (
        "asset",
        "contract",
        "decimals",
        "confirmations",
        "deposit_enabled",
        "withdraw_enabled",
        "withdraw_min",
        "withdraw_fee",
        "daily_limit",
    )


@admin.register(Network)
class NetworkAdmin(ReadOnlyMixin, admin.ModelAdmin[Network]):
    list_display = ("code", "name", "adapter", "memo_required", "hot_address", "scanned_to")
    inlines = (AssetNetworkInline,)

    @admin.display(description="last scanned block")
    def scanned_to(self, network: Network) -> int | None:
        cursor = ChainCursor.objects.filter(network=network).first()
        return cursor.last_block if cursor else None


@admin.register(DepositAddress)
class DepositAddressAdmin(ReadOnlyMixin, admin.ModelAdmin[DepositAddress]):
    list_display = ("user", "network", "address", "memo", "created_at")
    list_filter = ("network",)
    search_fields = ("user__email", "address")
    list_select_related = ("user", "network")


@admin.register(ChainTransfer)
class ChainTransferAdmin(ReadOnlyMixin, admin.ModelAdmin[ChainTransfer]):
    list_display = (
        "id",
        "network",
        "status",
        "user",
        "asset",
        "amount",
        "block_number",
        "txid",
        "log_index",
        "seen_at",
    )
    list_filter = ("status", "network", "asset")
    search_fields = ("txid", "address", "user__email")
    list_select_related = ("network", "user", "asset")


@admin.register(Sweep)
class SweepAdmin(ReadOnlyMixin, admin.ModelAdmin[Sweep]):
    list_display = (
        "id",
        "network",
        "status",
        "deposit_address",
        "asset",
        "amount",
        "gas_amount",
        "txid",
        "created_at",
        "completed_at",
    )
    list_filter = ("status", "network", "asset")
    search_fields = ("txid", "gas_txid", "deposit_address__address")
    list_select_related = ("network", "deposit_address", "asset")
