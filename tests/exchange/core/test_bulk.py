"""Array literals: exact, or refused (clearing's writes are tested in tests/exchange/clearing)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from exchange.core.bulk import array_literal


def test_array_literal_refuses_what_it_cannot_write():
    assert array_literal([1, None, True, Decimal("1E-18")]) == "{1,NULL,t,0.000000000000000001}"
    with pytest.raises(ValueError, match="naive"):
        array_literal([dt.datetime(2026, 1, 1)])  # noqa: DTZ001
    with pytest.raises(TypeError):
        array_literal([1.5])
