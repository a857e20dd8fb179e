"""Scalars shared by every domain's types."""

from __future__ import annotations

from decimal import Decimal as _Decimal
from typing import Any

import graphene
from graphql import ValueNode, value_from_ast_untyped

from exchange.core.money import format_money


class Decimal(graphene.Decimal):
    """An exact decimal number, sent as a string ("0.015"): never a float.

    Output is normalised (no exponent, no trailing zeros), as REST prints it.
    Input is passed to the action as sent, not parsed here: the action's money
    rules accept only decimal strings and refuse a number (``1e-07``, ``5``)
    with the argument's own code (INVALID_PRICE, INVALID_AMOUNT...), as REST does.
    """

    @staticmethod
    def parse_value(value: Any) -> Any:
        return value

    @staticmethod
    def parse_literal(node: ValueNode, _variables: Any = None) -> Any:
        return value_from_ast_untyped(node, _variables)

    @staticmethod
    def serialize(dec: _Decimal | int | str) -> str:
        if isinstance(dec, float | bool):
            raise TypeError(f"money must not be a {type(dec).__name__}: {dec!r}")
        value = dec if isinstance(dec, _Decimal) else _Decimal(dec)
        return format_money(value)
