"""The audit log, read-only: records are written by the action functions, never here."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from admin_ui.admin.mixins import ReadOnlyMixin
from exchange.audit.models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyMixin, admin.ModelAdmin[AuditRecord]):
    list_display = ("created_at", "actor_email", "action", "target_type", "target_id", "reason")
    list_filter = ("action", "target_type", "created_at")
    search_fields = ("actor_email", "=target_id", "reason", "=client_ip")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "actor_email",
        "client_ip",
        "action",
        "target_type",
        "target_id",
        "reason",
        "before_json",
        "after_json",
    )
    readonly_fields = fields

    @admin.display(description="before")
    def before_json(self, obj: AuditRecord) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.before, indent=2, sort_keys=True))

    @admin.display(description="after")
    def after_json(self, obj: AuditRecord) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.after, indent=2, sort_keys=True))
