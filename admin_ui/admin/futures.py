"""Back office for perpetual contracts: create (with brackets), halt and resume.

Every change goes through the audited actions of ``exchange.futures.actions``; the
row and its brackets cannot be edited afterwards (the engine holds their integers).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from admin_ui.admin.mixins import NeverDeletedMixin
from admin_ui.operator import operator_of
from exchange.core.errors import DomainError
from exchange.futures.actions import BracketSpec, do_create_contract, do_set_contract_status
from exchange.futures.models import Contract, ContractStatus, LeverageBracket


class LeverageBracketInline(admin.TabularInline[LeverageBracket, Contract]):
    model = LeverageBracket
    fields = ("tier", "notional_cap", "max_leverage", "maintenance_rate")
    extra = 3

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Contract)
class ContractAdmin(NeverDeletedMixin, admin.ModelAdmin[Contract]):
    list_display = (
        "symbol",
        "margin_asset",
        "engine_id",
        "status",
        "tick_size",
        "step_size",
        "maker_fee",
        "taker_fee",
        "liquidation_fee",
    )
    list_filter = ("status", "margin_asset")
    search_fields = ("symbol",)
    actions = ("halt", "resume")
    inlines = (LeverageBracketInline,)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Contract | None = None
    ) -> tuple[str, ...]:
        if obj is not None:
            return tuple(f.name for f in Contract._meta.fields)
        return ("engine_id", "status", "onboard_date")

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """A contract the action refuses is reported on the form page, not as an error page
        (the admin's transaction has rolled everything back)."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, f"Not created: {exc.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: Contract, form: Any, change: bool) -> None:
        """Nothing here: a new contract is created with its brackets in ``save_related``."""

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm[Contract],
        formsets: list[BaseInlineFormSet[Any, Any, Any]],
        change: bool,
    ) -> None:
        if change:
            return
        obj = form.instance
        rows = [d for fs in formsets for d in fs.cleaned_data if d and not d.get("DELETE", False)]
        rows.sort(key=lambda d: d["tier"])
        created = do_create_contract(
            base=obj.base_asset,
            quote=obj.quote_asset,
            margin=obj.margin_asset,
            tick_size=obj.tick_size,
            step_size=obj.step_size,
            brackets=[
                BracketSpec(d["notional_cap"], d["max_leverage"], d["maintenance_rate"])
                for d in rows
            ],
            min_notional=obj.min_notional,
            maker_fee=obj.maker_fee,
            taker_fee=obj.taker_fee,
            liquidation_fee=obj.liquidation_fee,
            funding_interval_seconds=obj.funding_interval_seconds,
            interest_rate=obj.interest_rate,
            funding_cap=obj.funding_cap,
            index_market=obj.index_market,
            symbol=obj.symbol or None,
            operator=operator_of(request),
        )
        obj.pk = created.pk
        for fs in formsets:  # what the admin's change message reads of a saved formset
            fs.new_objects, fs.changed_objects, fs.deleted_objects = [], [], []

    def _set(
        self, request: HttpRequest, queryset: QuerySet[Contract], status: ContractStatus
    ) -> None:
        for contract in queryset:
            do_set_contract_status(
                symbol=contract.symbol, status=status, operator=operator_of(request)
            )
        self.message_user(request, f"{queryset.count()} contract(s) set to {status}.")

    @admin.action(description="Halt trading")
    def halt(self, request: HttpRequest, queryset: QuerySet[Contract]) -> None:
        self._set(request, queryset, ContractStatus.HALTED)

    @admin.action(description="Resume trading")
    def resume(self, request: HttpRequest, queryset: QuerySet[Contract]) -> None:
        self._set(request, queryset, ContractStatus.TRADING)
