"""The operators' audit log: one row per action, never changed or removed once written."""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    MARKET_CREATE = "MARKET_CREATE"
    MARKET_CHANGE = "MARKET_CHANGE"
    MARKET_STATUS = "MARKET_STATUS"
    FEE_OVERRIDE_SET = "FEE_OVERRIDE_SET"
    FEE_OVERRIDE_REMOVE = "FEE_OVERRIDE_REMOVE"
    BALANCE_ADJUST = "BALANCE_ADJUST"
    WITHDRAWAL_APPROVE = "WITHDRAWAL_APPROVE"
    WITHDRAWAL_REJECT = "WITHDRAWAL_REJECT"
    API_KEY_REVOKE = "API_KEY_REVOKE"
    USER_DEACTIVATE = "USER_DEACTIVATE"
    USER_ACTIVATE = "USER_ACTIVATE"
    DEAD_LETTER_RESOLVE = "DEAD_LETTER_RESOLVE"
    CONTRACT_CREATE = "CONTRACT_CREATE"
    CONTRACT_STATUS = "CONTRACT_STATUS"
    TWO_FACTOR_ENROL = "TWO_FACTOR_ENROL"
    TWO_FACTOR_DISABLE = "TWO_FACTOR_DISABLE"
    CHAIN_SWEEP = "CHAIN_SWEEP"


class AppendOnlyError(Exception):
    """An audit record was about to be changed or deleted."""


class AuditQuerySet(models.QuerySet["AuditRecord"]):
    """Bulk update and delete refuse, as ``save`` and ``delete`` on a row do."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit records are append-only")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AppendOnlyError("audit records are append-only")


class AuditRecord(models.Model):
    """Who did what to which row, its fields before and after, why, and from where.

    The actor's email is copied so the row still reads right if the user is renamed.
    On PostgreSQL a trigger refuses UPDATE and DELETE too (migration 0001), so not
    even raw SQL from the application can rewrite history.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for the system (a management command or a task).",
    )
    actor_email = models.CharField(max_length=254, blank=True, default="")
    action = models.CharField(max_length=32, choices=AuditAction.choices, db_index=True)
    target_type = models.CharField(max_length=32)
    target_id = models.CharField(max_length=64, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True, default="")
    client_ip = models.GenericIPAddressField(null=True, blank=True)

    objects: ClassVar[AuditQuerySet] = AuditQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-created_at", "-id")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_email or 'system'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit records are append-only")
