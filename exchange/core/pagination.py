"""Keyset (cursor) pagination over querysets ordered newest first by primary key.

A cursor names the last row a page returned, so pages stay stable while new
rows arrive (offset pagination would repeat or skip rows).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from django.db.models import Model, QuerySet

from exchange.core.errors import DomainError
from exchange.core.ids import MAX_ID

T = TypeVar("T", bound=Model)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class PageErrorCode(StrEnum):
    INVALID_CURSOR = "INVALID_CURSOR"
    INVALID_LIMIT = "INVALID_LIMIT"


class PageError(DomainError):
    pass


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"pk:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        pk = int(value)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise PageError(
            PageErrorCode.INVALID_CURSOR, "Invalid cursor.", fields={"cursor": "invalid"}
        ) from exc
    if prefix != "pk" or not 1 <= pk <= MAX_ID:
        raise PageError(
            PageErrorCode.INVALID_CURSOR, "Invalid cursor.", fields={"cursor": "invalid"}
        )
    return pk


def check_limit(limit: int, *, maximum: int = MAX_LIMIT) -> int:
    if not 1 <= limit <= maximum:
        raise PageError(
            PageErrorCode.INVALID_LIMIT,
            f"limit must be between 1 and {maximum}.",
            fields={"limit": "invalid"},
        )
    return limit


def paginate(
    rows: QuerySet[T], *, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[T]:
    """One page of ``rows`` (any filters, no ordering needed), newest primary key first."""
    check_limit(limit)
    rows = rows.order_by("-pk")
    if cursor:
        rows = rows.filter(pk__lt=decode_cursor(cursor))
    return page_of(list(rows[: limit + 1]), limit=limit)


def page_of(items: list[T], *, limit: int) -> Page[T]:
    """The page of ``items``: up to ``limit + 1`` rows read newest primary key first."""
    more = len(items) > limit
    items = items[:limit]
    return Page(items=items, next_cursor=encode_cursor(items[-1].pk) if more else None)
