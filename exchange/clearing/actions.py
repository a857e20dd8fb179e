"""Operator decisions about clearing: resolving the dead letters it parked."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from exchange.audit.actions import Operator, write_audit_record
from exchange.audit.models import AuditAction
from exchange.clearing.errors import DeadLetterError, DeadLetterErrorCode
from exchange.clearing.models import DeadLetter


def do_resolve_dead_letter(
    *, dead_letter_id: int, operator: Operator, resolution: str = ""
) -> DeadLetter:
    """Close a dead letter with what was done about it (the stored text if none is given).

    The resolution is required: it is the operator's account of how the entry's
    effect was repaired (or why none was needed), and it is kept in the audit log.
    """
    with transaction.atomic():
        letter = DeadLetter.objects.select_for_update().get(pk=dead_letter_id)
        if letter.resolved_at is not None:
            raise DeadLetterError(
                DeadLetterErrorCode.ALREADY_RESOLVED, f"{letter} is already resolved."
            )
        text = (resolution or letter.resolution).strip()
        if not text:
            raise DeadLetterError(
                DeadLetterErrorCode.RESOLUTION_REQUIRED,
                "Write what was done in the resolution first.",
                fields={"resolution": "required"},
            )
        letter.resolution = text
        letter.resolved_at = timezone.now()
        letter.save(update_fields=["resolution", "resolved_at"])
        write_audit_record(
            operator=operator,
            action=AuditAction.DEAD_LETTER_RESOLVE,
            target=letter,
            before={"resolved_at": None},
            after={"resolved_at": letter.resolved_at.isoformat(), "entry_id": letter.entry_id},
            reason=text,
        )
    return letter
