"""Money parsing and printing shared by every API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.core.money import format_money, parse_decimal


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("-0"), "0"),
        (Decimal("-0E-18"), "0"),
        (Decimal("0.000000000000000000"), "0"),
        (Decimal("60000.00"), "60000"),
        (Decimal("1E+2"), "100"),
        (Decimal("0.0150"), "0.015"),
        (Decimal("-1.50"), "-1.5"),
    ],
)
def test_format_money_is_plain_without_trailing_zeros_or_negative_zero(value, text):
    assert format_money(value) == text


@pytest.mark.parametrize("value", [0.5, 1e-07, 1, True, None, {"v": "1"}, "abc", "NaN", "1" * 65])
def test_only_decimal_strings_and_decimals_are_money(value):
    assert parse_decimal(value) is None


def test_a_decimal_string_is_parsed_exactly():
    assert parse_decimal(" 0.015 ") == Decimal("0.015")
    assert parse_decimal(Decimal("2")) == Decimal("2")
