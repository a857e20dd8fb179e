"""Cursor pagination: stable pages newest first, typed errors for bad cursors and limits."""

from __future__ import annotations

import pytest

from exchange.core.errors import DomainError
from exchange.core.pagination import decode_cursor, encode_cursor, paginate
from exchange.wallets.models import Asset


@pytest.fixture
def rows(db):
    return [Asset.objects.create(code=f"A{i}", name=f"a{i}", precision=8) for i in range(5)]


def test_pages_walk_every_row_once_newest_first(rows):
    first = paginate(Asset.objects.all(), limit=2)
    # a row added after the first page does not shift the next pages
    Asset.objects.create(code="NEW", name="new", precision=8)
    second = paginate(Asset.objects.all(), cursor=first.next_cursor, limit=2)
    third = paginate(Asset.objects.all(), cursor=second.next_cursor, limit=2)
    seen = [a.code for page in (first, second, third) for a in page.items]
    assert seen == ["A4", "A3", "A2", "A1", "A0"]
    assert third.next_cursor is None


def test_cursor_round_trips():
    assert decode_cursor(encode_cursor(12345)) == 12345


@pytest.mark.parametrize("cursor", ["!!", "bm9wZQ", "cGs6YWJj", "cGs6LTE", encode_cursor(2**63)])
def test_bad_cursor_is_invalid_cursor(db, cursor):
    with pytest.raises(DomainError) as excinfo:
        paginate(Asset.objects.all(), cursor=cursor)
    assert excinfo.value.code == "INVALID_CURSOR"


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_limit_out_of_range_is_invalid_limit(db, limit):
    with pytest.raises(DomainError) as excinfo:
        paginate(Asset.objects.all(), limit=limit)
    assert excinfo.value.code == "INVALID_LIMIT"
