"""Back office for clearing: checkpoints and the dead letters an operator resolves."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from admin_ui.admin.mixins import ReadOnlyMixin
from admin_ui.operator import operator_of
from exchange.clearing.actions import do_resolve_dead_letter
from exchange.clearing.models import Checkpoint, DeadLetter
from exchange.core.errors import DomainError


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

    def has_delete_permission(self, request: HttpRequest, obj: DeadLetter | None = None) -> bool:
        return False

    def get_readonly_fields(
        self, request: HttpRequest, obj: DeadLetter | None = None
    ) -> tuple[str, ...]:
        # The resolution is a draft until the audited action closes the letter.
        if obj is not None and obj.resolved_at is not None:
            return (*self.readonly_fields, "resolution")
        return self.readonly_fields

    @admin.action(description="Mark resolved (write the resolution first)")
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        done = 0
        for letter in queryset.filter(resolved_at__isnull=True):
            try:
                do_resolve_dead_letter(dead_letter_id=letter.pk, operator=operator_of(request))
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{letter}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{done} dead letter(s) marked resolved.")
