"""Writing audit records: the operator action functions call ``write_audit_record``
inside their own transaction, so the record exists exactly when the change does."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from exchange.audit.models import AuditAction, AuditRecord
from exchange.core.money import format_money


@dataclass(frozen=True)
class Operator:
    """Who acts and from where; ``user`` None is the system (a command or a task)."""

    user: AbstractBaseUser | None = None
    client_ip: str | None = None
    reason: str = ""


SYSTEM = Operator()


def _json_value(value: object) -> object:
    # Money stays exact: a Decimal is kept as its plain string, never a float.
    if isinstance(value, Decimal):
        return format_money(value)
    if isinstance(value, models.Model):
        return value.pk
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def snapshot(obj: models.Model | None, fields: tuple[str, ...]) -> dict[str, object] | None:
    """The named fields of a row as JSON-safe values (foreign keys as their ids)."""
    if obj is None:
        return None
    return {name: _json_value(getattr(obj, name)) for name in fields}


def write_audit_record(
    *,
    operator: Operator,
    action: AuditAction,
    target: models.Model,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
    reason: str = "",
) -> AuditRecord:
    """Append one record; call it in the transaction of the change it describes."""
    user = operator.user
    return AuditRecord.objects.create(
        actor_id=getattr(user, "pk", None),
        actor_email=getattr(user, "email", "") or "",
        action=action,
        target_type=target._meta.model_name or "",
        target_id=str(target.pk),
        before=before,
        after=after,
        reason=(reason or operator.reason).strip(),
        client_ip=operator.client_ip,
    )
