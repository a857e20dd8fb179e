"""Clearing's errors: a poison entry (whatever the product), and the operator's refusals."""

from __future__ import annotations

from enum import StrEnum

from exchange.core.errors import DomainError


class ClearingError(Exception):
    """An entry that cannot be applied (unknown order, amounts that disagree): a poison entry."""


class DeadLetterErrorCode(StrEnum):
    ALREADY_RESOLVED = "ALREADY_RESOLVED"
    RESOLUTION_REQUIRED = "RESOLUTION_REQUIRED"


class DeadLetterError(DomainError):
    """An operator's dead-letter resolution that cannot be done."""
