"""Back office for wallets: assets, balances and adjustments, the journal, deposits, withdrawals."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from admin_ui.admin.mixins import NeverDeletedMixin, ReadOnlyMixin
from admin_ui.amounts import amount_column
from admin_ui.operator import client_ip
from exchange.accounts.models import User
from exchange.core.errors import DomainError
from exchange.markets.selectors import forget_cached_markets
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
from exchange.wallets.selectors import journal_references_for, with_journal_reference

_Posted = TypeVar("_Posted", bound=Deposit | Adjustment)


@admin.register(Asset)
class AssetAdmin(NeverDeletedMixin, admin.ModelAdmin[Asset]):
    list_display = ("code", "name", "precision")
    search_fields = ("code", "name")

    def save_model(self, request: HttpRequest, obj: Asset, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        forget_cached_markets()  # cached markets carry their assets


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
    list_display = (
        "account",
        "asset",
        amount_column("available", "asset"),
        amount_column("locked", "asset"),
        "updated_at",
    )
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
                        client_ip=client_ip(request),
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
    search_fields = ("lines__account__user__email",)
    search_help_text = (
        "Order or withdrawal id, txid, adjustment key, a whole reference, "
        "or the email of a user with a line in the entry."
    )
    date_hierarchy = "created_at"
    inlines = (LedgerLineInline,)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[JournalEntry], search_term: str
    ) -> tuple[QuerySet[JournalEntry], bool]:
        if not search_term.strip():
            return queryset, False
        if "@" in search_term:
            return super().get_search_results(request, queryset, search_term)
        # References are looked up exactly (indexed), never by substring.
        return queryset.filter(reference__in=journal_references_for(search_term)), False


@admin.register(LedgerLine)
class LedgerLineAdmin(ReadOnlyMixin, admin.ModelAdmin[LedgerLine]):
    """Every balance change, line by line: a user's ledger is a search by email."""

    list_display = (
        "id",
        "entry_link",
        "reason",
        "account",
        "asset",
        "bucket",
        amount_column("amount", "asset"),
        "created_at",
    )
    list_filter = ("asset", "bucket", "entry__reason", "account__kind")
    search_fields = ("account__user__email",)
    search_help_text = "A user's email (or part of it), or an order or withdrawal id, or a txid."
    list_select_related = ("entry", "account__user", "asset")

    @admin.display(description="entry")
    def entry_link(self, line: LedgerLine) -> str:
        url = reverse("admin:wallets_journalentry_change", args=[line.entry_id])
        return format_html('<a href="{}">{}</a>', url, line.entry.reference)

    @admin.display(description="reason", ordering="entry__reason")
    def reason(self, line: LedgerLine) -> str:
        return line.entry.reason

    @admin.display(description="time", ordering="entry__created_at")
    def created_at(self, line: LedgerLine) -> object:
        return line.entry.created_at

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[LedgerLine], search_term: str
    ) -> tuple[QuerySet[LedgerLine], bool]:
        if not search_term.strip() or "@" in search_term:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(entry__reference__in=journal_references_for(search_term)), False


class PostedRowAdmin(ReadOnlyMixin, admin.ModelAdmin[_Posted]):
    """A deposit's or adjustment's page: its journal entry, or "archived" once its month is.

    The entry is linked by id only (ADR 0050); the queryset carries its reference.
    """

    exclude = ("entry",)
    readonly_fields = ("journal_entry",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[_Posted]:
        return with_journal_reference(super().get_queryset(request))

    @admin.display(description="journal entry")
    def journal_entry(self, row: _Posted) -> str:
        reference = row.journal_reference  # type: ignore[union-attr]  # annotated by get_queryset
        if reference is None:
            return "archived"
        url = reverse("admin:wallets_journalentry_change", args=[row.entry_id])
        return format_html('<a href="{}">{}</a>', url, reference)


@admin.register(Adjustment)
class AdjustmentAdmin(PostedRowAdmin[Adjustment]):
    list_display = (
        "id",
        "user",
        "asset",
        amount_column("amount", "asset"),
        "reason",
        "adjusted_by",
        "journal_entry",
        "created_at",
    )
    list_filter = ("asset",)
    search_fields = ("user__email", "adjusted_by__email", "reason")
    list_select_related = ("user", "asset", "adjusted_by")


@admin.register(Deposit)
class DepositAdmin(PostedRowAdmin[Deposit]):
    list_display = (
        "id",
        "user",
        "asset",
        amount_column("amount", "asset"),
        "network",
        "txid",
        "journal_entry",
        "created_at",
    )
    list_select_related = ("user", "asset")
    list_filter = ("asset", "network")
    search_fields = ("=id", "=txid", "user__email")
    search_help_text = "Deposit id, txid, or the user's email."
    date_hierarchy = "created_at"


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyMixin, admin.ModelAdmin[Withdrawal]):
    list_display = (
        "id",
        "user",
        "asset",
        amount_column("amount", "asset"),
        "network",
        "address",
        "status",
        "txid",
        "created_at",
    )
    list_select_related = ("user", "asset")
    list_filter = ("status", "asset", "network")
    search_fields = ("=id", "=txid", "=address", "user__email")
    search_help_text = "Withdrawal id, txid, destination address, or the user's email."
    date_hierarchy = "created_at"
    actions = ("approve", "reject")

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("wallets.change_withdrawal")

    def _decide(self, request: HttpRequest, queryset: QuerySet[Withdrawal], action: Any) -> None:
        done = 0
        for withdrawal in queryset:  # the action refuses what is not pending, with a message
            try:
                action(withdrawal.pk, request.user, client_ip(request))
                done += 1
            except DomainError as exc:
                self.message_user(request, f"#{withdrawal.pk}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{done} withdrawal(s) processed.")

    @admin.action(description="Approve selected pending withdrawals", permissions=["decide"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        self._decide(
            request,
            queryset,
            lambda pk, by, ip: do_approve_withdrawal(
                withdrawal_id=pk, approved_by=by, client_ip=ip
            ),
        )

    @admin.action(description="Reject selected pending withdrawals", permissions=["decide"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        self._decide(
            request,
            queryset,
            lambda pk, by, ip: do_reject_withdrawal(withdrawal_id=pk, rejected_by=by, client_ip=ip),
        )
