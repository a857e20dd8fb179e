"""Exact money in the database, on PostgreSQL and on the embedded SQLite.

PostgreSQL has NUMERIC, and SQL arithmetic on it is exact. SQLite has no
decimal type: it would turn ``0.1`` into a binary float. So on SQLite a
``MoneyField`` is stored as fixed-width text (sign, 18 integer digits, 18
decimals), whose text order is its numeric order for the ``>= 0`` / ``> 0``
CHECK constraints, and arithmetic is done here in Python ``Decimal`` under
SQLite's database-wide write lock (every transaction is IMMEDIATE, see
settings). Code that adds to money or sums it goes through ``apply_deltas``
and ``sum_money`` instead of ``F()`` and ``Sum()``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.db.models import Count, F, QuerySet, Sum

from exchange.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS

_TEXT_WIDTH = MONEY_MAX_DIGITS + 1  # digits and the point; a sign may precede


def _to_fixed_text(value: Decimal) -> str:
    body = f"{abs(value):.{MONEY_DECIMAL_PLACES}f}".zfill(_TEXT_WIDTH)
    return ("-" if value < 0 else "") + body


def to_db_money(value: Decimal | None) -> Any:
    """A Decimal as the current database stores it (fast path of get_db_prep_value)."""
    if value is None or connection.vendor != "sqlite":
        return value
    return _to_fixed_text(value)


class MoneyField(models.DecimalField):
    """NUMERIC(36, 18) on PostgreSQL; exact fixed-width text on SQLite."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)

    def get_internal_type(self) -> str:
        return "MoneyField"

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite":
            return "text"
        return f"numeric({self.max_digits}, {self.decimal_places})"

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if (
            connection.vendor == "sqlite"
            and value is not None
            and not hasattr(value, "resolve_expression")
        ):
            return _to_fixed_text(self.to_python(value))
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value) if isinstance(value, str) else value


def apply_deltas(rows: QuerySet[Any], deltas: dict[str, Decimal]) -> bool:
    """Add each delta to its field of the one row in ``rows`` unless a field would go negative.

    One UPDATE. Returns False (and changes nothing) when the row is missing or
    too small. Call inside ``transaction.atomic()``.
    """
    assert connection.in_atomic_block, "apply_deltas must run inside a transaction"
    if connection.vendor != "sqlite":
        guards = {f"{field}__gte": -delta for field, delta in deltas.items() if delta < 0}
        return rows.filter(**guards).update(**{f: F(f) + d for f, d in deltas.items()}) == 1
    current = rows.values(*deltas).first()
    if current is None or any(current[f] + d < 0 for f, d in deltas.items()):
        return False
    return rows.update(**{f: current[f] + d for f, d in deltas.items()}) == 1


def sum_money(
    rows: QuerySet[Any], group_by: Sequence[str], field: str
) -> dict[tuple[Any, ...], Decimal]:
    """``SUM(field) GROUP BY group_by`` computed exactly on every backend."""
    if connection.vendor != "sqlite":
        grouped = rows.values(*group_by).annotate(total=Sum(field)).order_by()
        return {tuple(r[k] for k in group_by): r["total"] for r in grouped}
    totals: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for *key, value in rows.values_list(*group_by, field).order_by().iterator(chunk_size=5000):
        totals[tuple(key)] += value
    return dict(totals)


def count_and_sum_money(
    rows: QuerySet[Any], group_by: Sequence[str], fields: Sequence[str]
) -> dict[tuple[Any, ...], tuple[int, list[Decimal]]]:
    """``COUNT(*), SUM(f1), SUM(f2)... GROUP BY group_by`` in one pass, exact on every
    backend (``sum_money`` for several columns, and the row count with them)."""
    if connection.vendor != "sqlite":
        aggregates = {f"sum_{i}": Sum(field) for i, field in enumerate(fields)}
        grouped = rows.values(*group_by).annotate(rows_=Count("pk"), **aggregates).order_by()
        return {
            tuple(r[k] for k in group_by): (r["rows_"], [r[f"sum_{i}"] for i in range(len(fields))])
            for r in grouped
        }
    totals: dict[tuple[Any, ...], tuple[int, list[Decimal]]] = {}
    width = len(group_by)
    for values in rows.values_list(*group_by, *fields).order_by().iterator(chunk_size=5000):
        key = tuple(values[:width])
        count, sums = totals.get(key, (0, [Decimal(0)] * len(fields)))
        totals[key] = (count + 1, [s + v for s, v in zip(sums, values[width:], strict=True)])
    return totals
