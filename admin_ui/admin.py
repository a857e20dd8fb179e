"""Operator back office: every model, with searches, filters and thin actions."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from exchange.accounts.actions import do_revoke_api_key
from exchange.accounts.models import ApiKey, User
from exchange.clearing.models import Checkpoint, DeadLetter
from exchange.core.errors import DomainError
from exchange.markets.actions import do_create_market, do_set_market_status
from exchange.markets.models import FeeOverride, Market, MarketStatus
from exchange.orders.models import Order, Trade
from exchange.wallets.actions import do_adjust_balance, do_approve_withdrawal, do_reject_withdrawal
from exchange.wallets.models import (
    Account,
    Adjustment,
    Asset,
    Balance,
    Deposit,
    JournalEntry,
    LedgerLine,
    Withdrawal,
)


class ReadOnlyMixin:
    """Money rows change only through ledger actions, never by editing a form."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    list_display = (
        "label",
        "user",
        "key_prefix",
        "kind",
        "permissions",
        "created_at",
        "revoked_at",
    )
    list_filter = ("kind", "revoked_at")
    search_fields = ("label", "user__email", "key")
    # The encrypted secret is never shown, not even encrypted.
    exclude = ("secret_encrypted",)
    # Permissions and whitelist change only through the owner's create/revoke actions.
    readonly_fields = (
        "user",
        "key",
        "kind",
        "public_key",
        "permissions",
        "ip_whitelist",
        "created_at",
        "revoked_at",
    )
    actions = ("revoke",)

    @admin.display(description="key")
    def key_prefix(self, obj: ApiKey) -> str:
        return f"{obj.key[:8]}…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are created by their owner, who sees the secret once

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        active = list(queryset.filter(revoked_at__isnull=True))
        for api_key in active:
            do_revoke_api_key(user=api_key.user, api_key_id=api_key.pk)
        self.message_user(request, f"Revoked {len(active)} key(s).")


class NeverDeletedMixin:
    """Orders and ledger lines name markets and assets without a database FK
    constraint (ADR 0011): their integrity rests on these rows never being deleted."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Asset)
class AssetAdmin(NeverDeletedMixin, admin.ModelAdmin[Asset]):
    list_display = ("code", "name", "precision")
    search_fields = ("code", "name")


@admin.register(Account)
class AccountAdmin(ReadOnlyMixin, admin.ModelAdmin[Account]):
    list_display = ("id", "kind", "user")
    list_filter = ("kind",)
    search_fields = ("user__email",)


class AdjustmentForm(forms.Form):
    email = forms.EmailField(label="User email")
    asset = forms.ModelChoiceField(queryset=Asset.objects.all())
    amount = forms.DecimalField(max_digits=36, decimal_places=18, help_text="Negative to debit.")
    reason = forms.CharField(widget=forms.Textarea, help_text="Required; kept in the journal.")
    # Generated when the form is rendered: a second submit of the same form is a no-op.
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)


@admin.register(Balance)
class BalanceAdmin(ReadOnlyMixin, admin.ModelAdmin[Balance]):
    list_display = ("account", "asset", "available", "locked", "updated_at")
    list_filter = ("asset", "account__kind")
    search_fields = ("account__user__email",)
    list_select_related = ("account__user", "asset")
    change_list_template = "admin_ui/balance_changelist.html"

    def get_urls(self) -> list[URLPattern]:
        adjust = path(
            "adjust/", self.admin_site.admin_view(self.adjust_view), name="balance_adjust"
        )
        return [adjust, *super().get_urls()]

    def adjust_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("wallets.change_balance"):
            return HttpResponse(status=403)
        form = (
            AdjustmentForm(request.POST)
            if request.method == "POST"
            else AdjustmentForm(initial={"idempotency_key": uuid.uuid4()})
        )
        if request.method == "POST" and form.is_valid():
            user = User.objects.filter(email=form.cleaned_data["email"].lower()).first()
            if user is None:
                form.add_error("email", "No user with this email.")
            else:
                try:
                    _, created = do_adjust_balance(
                        user=user,
                        asset=form.cleaned_data["asset"],
                        amount=form.cleaned_data["amount"],
                        reason=form.cleaned_data["reason"],
                        adjusted_by=request.user,  # type: ignore[arg-type]
                        idempotency_key=form.cleaned_data["idempotency_key"],
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    if created:
                        self.message_user(request, "Balance adjusted.", messages.SUCCESS)
                    else:
                        self.message_user(
                            request,
                            "This adjustment was already posted (the form was submitted twice); "
                            "it was not applied again.",
                            messages.WARNING,
                        )
                    return HttpResponseRedirect(reverse("admin:wallets_balance_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Adjust a balance",
        }
        return TemplateResponse(request, "admin_ui/adjust_balance.html", context)


class LedgerLineInline(admin.TabularInline[LedgerLine, JournalEntry]):
    model = LedgerLine
    fields = ("account", "asset", "bucket", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyMixin, admin.ModelAdmin[JournalEntry]):
    list_display = ("id", "reason", "reference", "memo", "created_at")
    list_filter = ("reason",)
    search_fields = ("reference", "memo")
    date_hierarchy = "created_at"
    inlines = (LedgerLineInline,)


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyMixin, admin.ModelAdmin[Adjustment]):
    list_display = ("id", "user", "asset", "amount", "reason", "adjusted_by", "created_at")
    list_filter = ("asset",)
    search_fields = ("user__email", "adjusted_by__email", "reason")
    list_select_related = ("user", "asset", "adjusted_by")


@admin.register(Deposit)
class DepositAdmin(ReadOnlyMixin, admin.ModelAdmin[Deposit]):
    list_display = ("id", "user", "asset", "amount", "network", "txid", "created_at")
    list_filter = ("asset", "network")
    search_fields = ("user__email", "txid")


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyMixin, admin.ModelAdmin[Withdrawal]):
    list_display = ("id", "user", "asset", "amount", "network", "address", "status", "created_at")
    list_filter = ("status", "asset", "network")
    search_fields = ("user__email", "address")
    actions = ("approve", "reject")

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("wallets.change_withdrawal")

    def _decide(self, request: HttpRequest, queryset: QuerySet[Withdrawal], action: Any) -> None:
        done = 0
        for withdrawal in queryset:  # the action refuses what is not pending, with a message
            try:
                action(withdrawal.pk, request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"#{withdrawal.pk}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{done} withdrawal(s) processed.")

    @admin.action(description="Approve selected pending withdrawals", permissions=["decide"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        self._decide(
            request,
            queryset,
            lambda pk, by: do_approve_withdrawal(withdrawal_id=pk, approved_by=by),
        )

    @admin.action(description="Reject selected pending withdrawals", permissions=["decide"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        self._decide(
            request, queryset, lambda pk, by: do_reject_withdrawal(withdrawal_id=pk, rejected_by=by)
        )


@admin.register(Market)
class MarketAdmin(NeverDeletedMixin, admin.ModelAdmin[Market]):
    list_display = (
        "symbol",
        "base",
        "quote",
        "status",
        "tick_size",
        "step_size",
        "maker_fee",
        "taker_fee",
    )
    list_filter = ("status", "quote")
    search_fields = ("symbol",)
    actions = ("halt", "resume")
    # The engine's integers are read with tick and step, and the engine hears of status
    # changes only through the actions: none of these may change by editing the row.
    frozen = ("symbol", "base", "quote", "tick_size", "step_size", "status")

    def get_readonly_fields(
        self, request: HttpRequest, obj: Market | None = None
    ) -> tuple[str, ...]:
        return self.frozen if obj is not None else ("status",)

    def save_model(self, request: HttpRequest, obj: Market, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = do_create_market(
            base=obj.base,
            quote=obj.quote,
            tick_size=obj.tick_size,
            step_size=obj.step_size,
            min_qty=obj.min_qty,
            max_qty=obj.max_qty,
            min_notional=obj.min_notional,
            maker_fee=obj.maker_fee,
            taker_fee=obj.taker_fee,
            symbol=obj.symbol or None,
        )
        obj.pk = created.pk
        if created.status == MarketStatus.HALT:
            self.message_user(
                request,
                f"{created.symbol} was created HALTED: ENGINE_SHARDS lists it in no engine "
                "shard. Add it to a shard, restart that shard, then resume it here.",
                messages.WARNING,
            )

    def _set(self, request: HttpRequest, queryset: QuerySet[Market], status: MarketStatus) -> None:
        for market in queryset:
            do_set_market_status(symbol=market.symbol, status=status)
        self.message_user(request, f"{queryset.count()} market(s) set to {status}.")

    @admin.action(description="Halt trading")
    def halt(self, request: HttpRequest, queryset: QuerySet[Market]) -> None:
        self._set(request, queryset, MarketStatus.HALT)

    @admin.action(description="Resume trading")
    def resume(self, request: HttpRequest, queryset: QuerySet[Market]) -> None:
        self._set(request, queryset, MarketStatus.TRADING)


@admin.register(FeeOverride)
class FeeOverrideAdmin(admin.ModelAdmin[FeeOverride]):
    list_display = ("user", "market", "maker_fee", "taker_fee")
    list_filter = ("market",)
    search_fields = ("user__email",)


@admin.register(Order)
class OrderAdmin(ReadOnlyMixin, admin.ModelAdmin[Order]):
    list_display = (
        "id",
        "user",
        "market",
        "side",
        "type",
        "price",
        "orig_qty",
        "executed_qty",
        "status",
        "created_at",
    )
    list_filter = ("status", "market", "side", "type")
    search_fields = ("=id", "client_order_id", "user__email")
    list_select_related = ("user", "market")
    date_hierarchy = "created_at"


@admin.register(Trade)
class TradeAdmin(ReadOnlyMixin, admin.ModelAdmin[Trade]):
    list_display = (
        "market",
        "trade_id",
        "price",
        "qty",
        "quote_qty",
        "maker_user",
        "taker_user",
        "created_at",
    )
    list_filter = ("market",)
    search_fields = ("maker_user__email", "taker_user__email", "=trade_id")
    list_select_related = ("market", "maker_user", "taker_user")
    date_hierarchy = "created_at"


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyMixin, admin.ModelAdmin[Checkpoint]):
    list_display = ("symbol", "last_entry_id", "updated_at")
    search_fields = ("symbol",)


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin[DeadLetter]):
    """Entries clearing could not apply. Each one needs an operator's decision."""

    list_display = ("symbol", "entry_id", "error", "created_at", "resolved_at")
    list_filter = ("symbol", "resolved_at")
    search_fields = ("entry_id", "error")
    readonly_fields = ("symbol", "entry_id", "payload_hex", "error", "created_at", "resolved_at")
    fields = (*readonly_fields, "resolution")
    actions = ("mark_resolved",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Mark resolved (write the resolution first)")
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        count = queryset.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
        self.message_user(request, f"{count} dead letter(s) marked resolved.")
