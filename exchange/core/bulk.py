"""Fast bulk UPDATE of many rows with different values, for the clearing hot path.

Django's ``bulk_update`` builds a ``CASE WHEN`` expression per field and row,
which costs milliseconds per row in Python. Here: one
``UPDATE ... FROM (VALUES ...)`` on PostgreSQL, ``executemany`` elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from django.db import connection, models


def bulk_update_fields(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write ``fields`` of every object (all of one model) in one statement.

    Identifiers come from the model's metadata, never from input.
    """
    if not objs:
        return
    meta = objs[0]._meta
    model_fields = [cast(models.Field, meta.get_field(name)) for name in fields]
    pk = meta.pk
    assert pk is not None
    rows = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in model_fields] + [obj.pk]
        for obj in objs
    ]
    quote = connection.ops.quote_name
    table, pk_column = quote(meta.db_table), quote(str(pk.column))
    columns = [quote(str(f.column)) for f in model_fields]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            sets = ", ".join(
                f"{col} = v.{col}::{f.db_type(connection)}"
                for col, f in zip(columns, model_fields, strict=True)
            )
            names = ", ".join([*columns, "pk"])
            sql = f"UPDATE {table} AS t SET {sets} FROM (VALUES %s) AS v({names}) WHERE t.{pk_column} = v.pk"  # noqa: S608
            execute_values(cursor.cursor, sql, rows, page_size=len(rows))
        else:
            sets = ", ".join(f"{col} = %s" for col in columns)
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE {pk_column} = %s", rows)  # noqa: S608
