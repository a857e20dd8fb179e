"""REST and GraphQL print the same money the same way."""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.graphql.core.scalars import Decimal as DecimalScalar
from api.rest.fields import DecimalString


@pytest.mark.parametrize("value", ["-0", "-0E-18", "0E-18", "60000.00", "1E+2", "-1.50"])
def test_rest_and_graphql_print_money_alike(value):
    number = Decimal(value)
    assert DecimalScalar.serialize(number) == DecimalString().to_representation(number)
    assert DecimalScalar.serialize(Decimal("-0")) == "0"
