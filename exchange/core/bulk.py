"""Fast bulk INSERT, and array parameters, for the clearing hot path.

Django's ``bulk_create`` prepares every value through the field API
(microseconds each, tens of thousands per batch). Here rows are written with
one ``COPY ... FROM STDIN`` of text their caller makes on PostgreSQL, and with
values adapted once per column by type and ``executemany`` elsewhere;
clearing's order UPDATE sends one array per column
(``exchange.clearing.locked_orders``).
Identifiers come from the model's metadata, never from input.

Arrays go to PostgreSQL as one text literal each (``'{1,2,3}'::bigint[]``),
which the type's input function reads, instead of psycopg2's
``ARRAY[1,2,3]``, which the parser and planner process element by element
(a third of the UPDATE's time at 10,000 rows). An id list is matched with
``= ANY((SELECT ids)::bigint[])``: a parameter, not a constant, so the planner
neither estimates every element nor leaves the primary key index for a scan
on a table whose statistics are stale (ADR 0008).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, cast

from django.db import connection, models

from exchange.core.money_db import MoneyField, to_db_money


def _same(value: Any) -> Any:
    return value


def _adapter(field: models.Field) -> Callable[[Any], Any]:
    if isinstance(field, MoneyField):
        return to_db_money if connection.vendor == "sqlite" else _same
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value  # type: ignore[no-any-return]
    return _same


_ARRAY_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"'})


def int_array(values: Iterable[int | None]) -> str:
    """Integers (None: NULL) as one PostgreSQL array literal, for a ``bigint[]`` parameter."""
    return "{" + ",".join(["NULL" if v is None else str(v) for v in values]) + "}"


def decimal_array(values: Iterable[Decimal]) -> str:
    """Decimals as one array literal for a ``numeric[]`` parameter: ``str`` is exact, and
    numeric input reads its exponent form ("1E-8")."""
    return "{" + ",".join(map(str, values)) + "}"


def text_array(values: Iterable[str]) -> str:
    """Strings as one array literal for a ``varchar[]`` parameter, each quoted and escaped."""
    return "{" + ",".join([f'"{v.translate(_ARRAY_ESCAPES)}"' if v else '""' for v in values]) + "}"


def ids_match(column: str, pk_type: str = "bigint") -> str:
    """``column = ANY(<the id array parameter>)``, found by index whatever the statistics."""
    return f"{column} = ANY((SELECT %s::{pk_type}[])::{pk_type}[])"


def _fields(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:
    return [cast(models.Field, model._meta.get_field(name)) for name in names]


def bulk_insert_values(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT raw rows (values in ``names`` order, foreign keys as ids) with ``executemany``.

    Where there is no ``COPY``: on PostgreSQL, ``bulk_copy_text`` takes the rows.
    """
    if not rows:
        return
    fields = _fields(model, names)
    table, columns = _table_columns(model, fields)
    adapters = [_adapter(f) for f in fields]
    params = [[adapt(v) for adapt, v in zip(adapters, row, strict=True)] for row in rows]
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", params)  # noqa: S608


def bulk_copy_text(model: type[models.Model], names: Sequence[str], data: str) -> None:
    """``COPY`` rows already in PostgreSQL's text format (columns ``names``) into the table."""
    table, columns = _table_columns(model, _fields(model, names))
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO(data))


def _table_columns(model: type[models.Model], fields: Sequence[models.Field]) -> tuple[str, str]:
    quote = connection.ops.quote_name
    return quote(model._meta.db_table), ", ".join(quote(str(f.column)) for f in fields)
