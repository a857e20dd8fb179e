"""The base of every domain error: a stable code, a message, optional field errors.

Each domain defines its own code enum (``WalletErrorCode``...) and error class;
the API adapters map codes to each surface's format and HTTP status.
"""

from __future__ import annotations

from enum import StrEnum


class DomainError(Exception):
    """A rejected request. Raised before anything is changed, or inside the
    transaction whose rollback undoes the change."""

    def __init__(self, code: StrEnum, message: str, *, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value!r}, {self.message!r})"
