"""The ledger lines' key to their journal entries, one per month (PostgreSQL, ADR 0052).

A foreign key declared on the partitioned lines table to the partitioned
entries table is checked, for every line written, by a query on the entries
*parent*: PostgreSQL 15 prepares it once, but each check re-locks every
entries partition and starts an append plan pruned at run time, and with
little data it re-plans the query instead. Order entry writes two lines per
order, so that check was what made its PostgreSQL CPU per order 1.26-1.45x.

Lines and entries share their partition bounds (a line carries its entry's
time, ADR 0049), so the same key can be declared between the twin partitions
instead: ``wallets_ledgerline_p2026_12 (entry_id, created_at)`` references
``wallets_journalentry_p2026_12 (id, created_at)``, and the default partition
references the default one. Each check then reads one plain table, whatever
the number of months. A line still cannot miss its entry (its month's key
checks it), and an entries month cannot be dropped while its lines month is
there (the key depends on it).
"""

from __future__ import annotations

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

from exchange.wallets.models import JournalEntry, LedgerLine

LINES = LedgerLine._meta.db_table
ENTRIES = JournalEntry._meta.db_table
LEDGER_TABLES = frozenset({LINES, ENTRIES})
_LINE_ENTRY = LedgerLine._meta.get_field("entry").column
_LINE_TIME = LedgerLine._meta.get_field("created_at").column
_ENTRY_ID = JournalEntry._meta.get_field("id").column
_ENTRY_TIME = JournalEntry._meta.get_field("created_at").column


def key_name(lines_partition: str) -> str:
    return f"{lines_partition}_entry_fk"


def _partitions(cursor: CursorWrapper, table: str) -> dict[str, str]:
    """The table's attached partitions by suffix (``_p2026_12``, ``_default``)."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = to_regclass(%s)",
        [table],
    )
    return {name.removeprefix(table): name for (name,) in cursor.fetchall()}


def drop_parent_key(db: BaseDatabaseWrapper) -> None:
    """Drop the key ADR 0049 declared from the lines parent to the entries parent."""
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'f'"
            " AND conrelid = to_regclass(%s) AND confrelid = to_regclass(%s)",
            [LINES, ENTRIES],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {LINES} DROP CONSTRAINT {name}")


def tie_ledger_months(db: BaseDatabaseWrapper | None = None) -> list[str]:
    """Key every attached lines partition to its month's entries partition, if not yet.

    Call after creating, attaching or restoring a partition of either table.
    Returns the lines partitions left without a key because their month has
    no entries partition (empty on SQLite and when every month is tied).
    """
    db = db or connection
    if db.vendor != "postgresql":
        return []
    with db.cursor() as cursor:
        lines, entries = _partitions(cursor, LINES), _partitions(cursor, ENTRIES)
        cursor.execute(
            "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f'"
            " AND conrelid = ANY(%s::regclass[]) AND confrelid = ANY(%s::regclass[])",
            [list(lines.values()), list(entries.values())],
        )
        tied = {name for (name,) in cursor.fetchall()}
        untied = []
        for suffix, part in sorted(lines.items()):
            if part in tied:
                continue
            if suffix not in entries:
                untied.append(part)
                continue
            cursor.execute(
                f"ALTER TABLE {part} ADD CONSTRAINT {key_name(part)}"
                f" FOREIGN KEY ({_LINE_ENTRY}, {_LINE_TIME})"
                f" REFERENCES {entries[suffix]} ({_ENTRY_ID}, {_ENTRY_TIME})"
                " DEFERRABLE INITIALLY DEFERRED"
            )
    return untied
