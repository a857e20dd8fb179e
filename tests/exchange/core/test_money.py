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


NOT_MONEY = [
    0.5,
    1e-07,
    1,
    True,
    None,
    {"v": "1"},
    "abc",
    "",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1E+1",
    "1e-2",
    "1e309",
    "١٠٠٠",  # Arabic-Indic digits
    "１０００",  # full-width digits
    "1_000",
    " 0.015",
    "0.015 ",
    "0.015\n",
    "-1",
    "+1",
    ".5",
    "5.",
    "1" * 21,
    "1." + "1" * 21,
    "9" * 80,
    Decimal("NaN"),
    Decimal("Infinity"),
]


@pytest.mark.parametrize("value", NOT_MONEY)
def test_only_plain_decimal_strings_and_finite_decimals_are_money(value):
    assert parse_decimal(value) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.015", Decimal("0.015")),
        ("60000", Decimal("60000")),
        ("0001.10", Decimal("1.1")),
        ("9" * 20 + "." + "9" * 20, Decimal("9" * 20 + "." + "9" * 20)),
    ],
)
def test_a_plain_decimal_string_is_parsed_exactly(text, value):
    assert parse_decimal(text) == value


def test_a_decimal_from_our_own_code_is_money():
    assert parse_decimal(Decimal("2")) == Decimal("2")
