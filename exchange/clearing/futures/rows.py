"""Update many rows of one model in one statement per chunk.

Django's ``bulk_update`` builds a ``CASE WHEN pk = ... THEN ...`` per field and row:
for a clearing batch of thousands of orders it spent most of the batch's time
building expressions in Python (``bench/futures_clearing.py``). On PostgreSQL
this sends ``UPDATE t SET f = v.f FROM (VALUES ...) v WHERE t.pk = v.pk`` instead;
elsewhere (the embedded SQLite, which stores money as text) it keeps
``bulk_update``, whose field conversions it relies on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import connection, models
from psycopg2.extras import execute_values

CHUNK = 1000


def update_rows(model: type[models.Model], rows: Sequence[models.Model], fields: list[str]) -> None:
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(rows, fields, batch_size=100)
        return
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    columns = [cast("models.Field[Any, Any]", meta.get_field(name)) for name in fields]
    sets = ", ".join(f'"{f.column}" = v."{f.column}"::{f.db_type(connection)}' for f in columns)
    names = ", ".join(f'"{c}"' for c in [pk.column, *(f.column for f in columns)])
    # Names come from the model's own metadata, never from input; values go as parameters.
    sql = (
        f'UPDATE "{meta.db_table}" AS t SET {sets} FROM (VALUES %s) AS v({names}) '  # noqa: S608
        f'WHERE t."{pk.column}" = v."{pk.column}"'
    )
    values = [
        (row.pk, *(f.get_db_prep_save(getattr(row, f.attname), connection) for f in columns))
        for row in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(values), CHUNK):
            execute_values(cursor.cursor, sql, values[start : start + CHUNK], page_size=CHUNK)
