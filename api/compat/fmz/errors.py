"""The one place where errors become FMZ's ``{"error": "..."}`` (always HTTP 200).

The docker shows the text in the strategy's log, so it carries our stable
domain code first, then the human message.
"""

from __future__ import annotations

from api.compat.fmz.names import PARAMETERS
from api.compat.wording import message
from api.refusals import FMZ, count_field_error, count_refusal
from exchange.accounts.errors import ApiKeyErrorCode
from exchange.core.errors import DomainError


class FmzError(Exception):
    """An error in the protocol's own terms (bad request shape, symbol or method)."""

    def __init__(self, message: str, reason: str = "MALFORMED_REQUEST") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason  # the ``/metrics`` label; empty: not an input refusal


# Key problems are reported alike, so a caller cannot probe which part was wrong.
_KEY_CODES = {
    ApiKeyErrorCode.UNKNOWN_KEY,
    ApiKeyErrorCode.SIGNATURE_INVALID,
    ApiKeyErrorCode.IP_NOT_ALLOWED,
}


def error_body(exc: Exception) -> dict[str, str]:
    if isinstance(exc, FmzError):
        if exc.reason:
            count_refusal(FMZ, exc.reason)
        return {"error": exc.message}
    if isinstance(exc, DomainError):
        count_field_error(FMZ, exc)
        if exc.code in _KEY_CODES:
            return {"error": "invalid access_key or secret_key"}
        return {"error": f"{exc.code.value}: {message(PARAMETERS, exc)}"}
    raise exc


def missing(name: str) -> FmzError:
    return FmzError(f"missing parameter: {name}")


def invalid_symbol(symbol: object) -> FmzError:
    return FmzError(f"invalid symbol: {symbol!r} (expected BASE_QUOTE, e.g. BTC_USDT)")


def rate_limited(retry_after: int) -> FmzError:
    return FmzError(
        f"RATE_LIMITED: too much request weight used; retry after {retry_after} s", reason=""
    )
