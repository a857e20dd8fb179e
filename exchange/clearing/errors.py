"""Error codes of the operator's clearing actions."""

from __future__ import annotations

from enum import StrEnum

from exchange.core.errors import DomainError


class ClearingErrorCode(StrEnum):
    ALREADY_RESOLVED = "ALREADY_RESOLVED"
    RESOLUTION_REQUIRED = "RESOLUTION_REQUIRED"


class ClearingError(DomainError):
    pass
