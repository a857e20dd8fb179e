"""The scheduled reconciliation's results, read-only: the latest per asset first."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from admin_ui.admin.mixins import ReadOnlyMixin
from admin_ui.amounts import amount_column
from exchange.reconciliation.models import ReconciliationResult


@admin.register(ReconciliationResult)
class ReconciliationResultAdmin(ReadOnlyMixin, admin.ModelAdmin[ReconciliationResult]):
    list_display = (
        "checked_at",
        "asset",
        "ok",
        amount_column("holdings", "asset"),
        amount_column("expected", "asset"),
        "halted_markets",
    )
    list_filter = ("ok", "asset")
    search_fields = ("asset__code",)
    list_select_related = ("asset",)
    date_hierarchy = "checked_at"
    readonly_fields = ("checked_at", "asset", "ok", "holdings", "expected", "violation_list")
    fields = readonly_fields

    @admin.display(description="violations")
    def violation_list(self, obj: ReconciliationResult) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.violations, indent=2))
