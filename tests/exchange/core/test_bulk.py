"""Array parameters: PostgreSQL reads back exactly what was sent (clearing's writes are
tested in tests/exchange/clearing)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from exchange.core.bulk import decimal_array, int_array, text_array

INTS = [1, None, 9_007_199_254_740_993]
DECIMALS = [
    Decimal("1E-18"),
    Decimal("10.50"),
    Decimal("-0"),
    Decimal("123456789012345678.000000000000000001"),
]
TEXTS = ["", 'say "hi"', "back\\slash", "a,b {c}", "NULL"]


def test_array_literals_quote_what_needs_it():
    assert int_array(INTS) == "{1,NULL,9007199254740993}"
    assert decimal_array(DECIMALS[:2]) == "{1E-18,10.50}"
    assert text_array(TEXTS) == '{"","say \\"hi\\"","back\\\\slash","a,b {c}","NULL"}'


@pytest.mark.skipif(connection.vendor != "postgresql", reason="array parameters are PostgreSQL's")
@pytest.mark.django_db
def test_postgresql_reads_each_array_back_exactly():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::bigint[], %s::numeric[], %s::varchar[]",
            [int_array(INTS), decimal_array(DECIMALS), text_array(TEXTS)],
        )
        ints, decimals, texts = cursor.fetchone()
    assert ints == INTS
    assert decimals == DECIMALS
    assert texts == TEXTS
