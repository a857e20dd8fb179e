"""Turn a plain history table into a monthly partitioned one (run once, by a migration).

Django cannot create partitioned tables, so the migration rebuilds each table
in SQL: a ``PARTITION BY RANGE`` twin with the same columns, defaults and
checks, month partitions covering the rows present up to the months ahead, a
default partition, the rows copied, the old table dropped and the twin
renamed. Then the indexes, foreign keys and keys come back under their
Django names, so later migrations still find them by name.

PostgreSQL requires every unique key of a partitioned table to contain the
partition key, so the time column is appended to a primary or unique key
that lacks it (``orders_trade``'s ``(id)`` becomes ``(id, created_at)``): an
``id`` still comes from one sequence, and a trade replayed from the same
engine entry has the same time, so the keys still catch what they caught.
PostgreSQL 15 has no identity columns on partitioned tables: an identity
``id`` becomes a sequence default that continues after the highest id.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from exchange.retention.months import Month, months_between
from exchange.retention.partitions import HistoryTable


def partition_table(conn: BaseDatabaseWrapper, history: HistoryTable, months_ahead: int) -> None:
    """Rebuild ``history.table`` partitioned by month; call inside the migration's transaction."""
    table, key = history.table, history.key
    twin = f"{table}__partitioned"
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid),"
            " ARRAY(SELECT a.attname FROM unnest(conkey) WITH ORDINALITY k(attnum, n)"
            "       JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.attnum"
            "       ORDER BY k.n)"
            " FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype IN ('p','u','f')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexdef FROM pg_indexes i WHERE schemaname = current_schema()"
            " AND tablename = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            " WHERE c.conindid = to_regclass(quote_ident(i.indexname)))",
            [table],
        )
        plain_indexes = [definition for (definition,) in cursor.fetchall()]
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s)"
            " AND attidentity <> ''",
            [table],
        )
        identity = [name for (name,) in cursor.fetchall()]
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE confrelid = to_regclass(%s)", [table]
        )
        if cursor.fetchone()[0]:
            raise RuntimeError(f"{table} is referenced by a foreign key: cannot partition it")
        cursor.execute(f"SELECT min({key}) FROM {table}")  # noqa: S608
        (oldest,) = cursor.fetchone()

        now = Month.of(timezone.now())
        if oldest is None:
            first = now
        else:
            first = Month.of_ms(oldest) if history.epoch_ms else Month.of(oldest)
        cursor.execute(
            f"CREATE TABLE {twin} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            f" PARTITION BY RANGE ({key})"
        )
        for month in months_between(min(first, now), now.plus(months_ahead)):
            cursor.execute(
                f"CREATE TABLE {history.partition(month)} PARTITION OF {twin}"
                f" {history.range_sql(month)}"
            )
        cursor.execute(f"CREATE TABLE {history.default} PARTITION OF {twin} DEFAULT")
        cursor.execute(f"INSERT INTO {twin} SELECT * FROM {table}")  # noqa: S608
        cursor.execute(f"DROP TABLE {table}")
        cursor.execute(f"ALTER TABLE {twin} RENAME TO {table}")

        for column in identity:
            sequence = f"{table}_{column}_seq"
            cursor.execute(f"CREATE SEQUENCE {sequence} OWNED BY {table}.{column}")
            cursor.execute(f"ALTER TABLE {table} ALTER {column} SET DEFAULT nextval('{sequence}')")
            cursor.execute(
                f"SELECT setval('{sequence}', coalesce(max({column}), 0) + 1, false)"  # noqa: S608
                f" FROM {table}"
            )
        for name, kind, definition, columns in constraints:
            if kind == "f":
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
                continue
            keyed = ", ".join([*columns, key] if key not in columns else columns)
            clause = "PRIMARY KEY" if kind == "p" else "UNIQUE"
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {clause} ({keyed})")
        for definition in plain_indexes:
            cursor.execute(definition)


def partition_journal(
    conn: BaseDatabaseWrapper, entries: HistoryTable, lines: HistoryTable, months_ahead: int
) -> None:
    """Partition journal entries and their lines by month, keeping lines tied to entries.

    A foreign key to a partitioned table must name its whole key ``(id,
    created_at)``: the lines' key becomes ``(entry_id, created_at)`` (a line
    carries its entry's time), so a line still cannot outlive or miss its entry,
    and an entry's month cannot be detached while its lines are attached. The
    deposit's and adjustment's one-to-one links have no entry time and lose
    their database constraint (ADR 0049); the code creates them together.
    """
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f' AND confrelid = to_regclass(%s)",
            [entries.table],
        )
        referencing = cursor.fetchall()
        for name, table, _ in referencing:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    partition_table(conn, entries, months_ahead)
    partition_table(conn, lines, months_ahead)
    with conn.cursor() as cursor:
        for name, table, definition in referencing:
            if table != lines.table:
                continue
            deferral = " DEFERRABLE INITIALLY DEFERRED" if "DEFERRED" in definition else ""
            cursor.execute(
                f"ALTER TABLE {lines.table} ADD CONSTRAINT {name} FOREIGN KEY"
                f" (entry_id, {lines.key}) REFERENCES {entries.table} (id, {entries.key}){deferral}"
            )
