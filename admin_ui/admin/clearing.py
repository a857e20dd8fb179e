"""Back office for clearing: checkpoints and the dead letters an operator resolves."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from admin_ui.admin.mixins import ReadOnlyMixin
from exchange.clearing.models import Checkpoint, DeadLetter


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
