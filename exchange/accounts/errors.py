"""Error codes of accounts, sessions and API keys."""

from __future__ import annotations

from enum import StrEnum

from exchange.core.errors import DomainError


class AccountErrorCode(StrEnum):
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_EMAIL = "INVALID_EMAIL"
    WEAK_PASSWORD = "WEAK_PASSWORD"  # noqa: S105 - an error code, not a password
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"


class ApiKeyErrorCode(StrEnum):
    INVALID_PERMISSIONS = "INVALID_PERMISSIONS"
    INVALID_IP_WHITELIST = "INVALID_IP_WHITELIST"
    INVALID_PUBLIC_KEY = "INVALID_PUBLIC_KEY"
    INVALID_LABEL = "INVALID_LABEL"
    NOT_FOUND = "API_KEY_NOT_FOUND"
    # Signed-request verification, one code per cause so a bot can tell them apart.
    UNKNOWN_KEY = "API_KEY_UNKNOWN"
    SIGNATURE_MISSING = "SIGNATURE_MISSING"
    SIGNATURE_INVALID = "SIGNATURE_INVALID"
    TIMESTAMP_MISSING = "TIMESTAMP_MISSING"
    TIMESTAMP_OUTSIDE_RECV_WINDOW = "TIMESTAMP_OUTSIDE_RECV_WINDOW"
    RECV_WINDOW_INVALID = "RECV_WINDOW_INVALID"
    IP_NOT_ALLOWED = "IP_NOT_ALLOWED"
    PERMISSION_DENIED = "PERMISSION_DENIED"


class AccountError(DomainError):
    pass


class ApiKeyError(DomainError):
    pass


class ListenKeyErrorCode(StrEnum):
    # Binance answers both with -1125 "This listenKey does not exist."
    UNKNOWN_LISTEN_KEY = "LISTEN_KEY_UNKNOWN"
    FOREIGN_LISTEN_KEY = "LISTEN_KEY_FOREIGN"
    API_KEY_INACTIVE = "LISTEN_KEY_API_KEY_INACTIVE"


class ListenKeyError(DomainError):
    pass


class TwoFactorErrorCode(StrEnum):
    NOT_ENROLLED = "TWO_FACTOR_NOT_ENROLLED"
    ALREADY_ENROLLED = "TWO_FACTOR_ALREADY_ENROLLED"
    CODE_REQUIRED = "TWO_FACTOR_CODE_REQUIRED"
    INVALID_CODE = "TWO_FACTOR_INVALID_CODE"
    # The right code, but its time step was already accepted once (django-otp refuses it).
    REPLAYED_CODE = "TWO_FACTOR_REPLAYED_CODE"
    # Too many wrong codes: every device refuses for a doubling delay (django-otp).
    THROTTLED = "TWO_FACTOR_THROTTLED"


class TwoFactorError(DomainError):
    pass


# What an action guarded by the second factor (withdrawal, API-key creation) can refuse with.
SECOND_FACTOR_CODES = (
    TwoFactorErrorCode.CODE_REQUIRED,
    TwoFactorErrorCode.INVALID_CODE,
    TwoFactorErrorCode.REPLAYED_CODE,
    TwoFactorErrorCode.THROTTLED,
)
