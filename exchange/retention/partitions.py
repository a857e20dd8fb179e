"""Monthly range partitions of the append-only history tables (PostgreSQL only).

Each history table is ``PARTITION BY RANGE`` of its time column, with one
partition per UTC month (``orders_trade_p2026_12``) and a default partition
(``orders_trade_default``) that catches a row whose month has none yet, so a
late beat never stops clearing. Creating a month's partition moves any such
rows out of the default first (PostgreSQL refuses to attach a range the
default holds rows of). On SQLite the tables stay plain: every function here
returns without doing anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from exchange.futures.models import FuturesTrade, Income
from exchange.marketdata.models import Kline
from exchange.orders.models import ClosedOrder, Trade
from exchange.retention.ledger_keys import LEDGER_TABLES, tie_ledger_months
from exchange.retention.months import Month, months_between
from exchange.wallets.models import JournalEntry, LedgerLine

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HistoryTable:
    """A partitioned table and its key: a ``timestamptz`` or ms since the epoch."""

    table: str
    key: str
    epoch_ms: bool = False
    # The history table this one's rows point at by ``(id, key)``: its months go together.
    references: str | None = None

    def partition(self, month: Month) -> str:
        return f"{self.table}_{month.suffix}"

    @property
    def default(self) -> str:
        return f"{self.table}_default"

    def bound(self, month: Month) -> str:
        """The month's start as a partition bound literal."""
        return str(month.start_ms) if self.epoch_ms else f"'{month.start.isoformat()}'"

    def range_sql(self, month: Month) -> str:
        return f"FOR VALUES FROM ({self.bound(month)}) TO ({self.bound(month.plus(1))})"


HISTORY_TABLES: tuple[HistoryTable, ...] = (
    HistoryTable(Trade._meta.db_table, "created_at"),
    HistoryTable(FuturesTrade._meta.db_table, "time"),
    HistoryTable(Income._meta.db_table, "time"),
    HistoryTable(Kline._meta.db_table, "open_time", epoch_ms=True),
    # Lines before their entries: a month of lines is archived (and carried
    # forward) before the entries they point at (ADR 0049).
    HistoryTable(LedgerLine._meta.db_table, "created_at", references=JournalEntry._meta.db_table),
    HistoryTable(JournalEntry._meta.db_table, "created_at"),
    # Orders closed ORDER_HISTORY_DAYS ago, moved out of orders_order (ADR 0050).
    HistoryTable(ClosedOrder._meta.db_table, "created_at"),
)
LEDGER_LINES, JOURNAL_ENTRIES, CLOSED_ORDERS = HISTORY_TABLES[4:]


def is_partitioned(conn: BaseDatabaseWrapper, table: str) -> bool:
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
            " WHERE c.oid = to_regclass(%s)",
            [table],
        )
        return cursor.fetchone() is not None


def monthly_partitions(history: HistoryTable) -> dict[Month, str]:
    """The table's attached month partitions, by month (read from their names)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(%s)",
            [history.table],
        )
        names = [name for (name,) in cursor.fetchall()]
    prefix = f"{history.table}_p"
    months = {}
    for name in names:
        if name.startswith(prefix):
            year, _, month = name.removeprefix(prefix).partition("_")
            months[Month(int(year), int(month))] = name
    return months


def keyed_together(history: HistoryTable) -> list[HistoryTable]:
    """``history`` and the history tables tied to it by a foreign key, referencing ones first."""
    return [
        *(other for other in HISTORY_TABLES if other.references == history.table),
        history,
        *(other for other in HISTORY_TABLES if other.table == history.references),
    ]


def create_partition(history: HistoryTable, month: Month) -> list[str]:
    """Create and attach the month's partitions of ``history`` and the tables keyed to it.

    The month's rows waiting in each default partition move into the new one.
    Each new partition is filled while not yet attached, referencing tables
    first, so no line still in the default points at an entry that left it;
    then attached referenced tables first, and the month's ledger lines get
    their key to its entries (ADR 0050, ADR 0052). Returns the partitions
    created: none when they all exist.
    """
    group = keyed_together(history)
    missing = [each for each in group if month not in monthly_partitions(each)]
    if not missing:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        for each in missing:
            part, default = each.partition(month), each.default
            low, high = each.bound(month), each.bound(month.plus(1))
            in_range = f"{each.key} >= {low} AND {each.key} < {high}"
            cursor.execute(
                f"CREATE TABLE {part} (LIKE {each.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            )
            cursor.execute(f"INSERT INTO {part} SELECT * FROM {default} WHERE {in_range}")  # noqa: S608
            logger.info(
                "partition %s created (%d rows moved from %s)", part, cursor.rowcount, default
            )
            cursor.execute(f"DELETE FROM {default} WHERE {in_range}")  # noqa: S608
        for each in reversed(missing):
            cursor.execute(
                f"ALTER TABLE {each.table} ATTACH PARTITION {each.partition(month)}"
                f" {each.range_sql(month)}"
            )
        if {each.table for each in missing} & LEDGER_TABLES:
            untied = tie_ledger_months()
            if LEDGER_LINES.partition(month) in untied:
                raise RuntimeError(f"{LEDGER_LINES.partition(month)} has no entries month")
    return [each.partition(month) for each in missing]


def create_partitions_ahead(months_ahead: int | None = None) -> list[str]:
    """Make sure each history table has partitions from this month to ``months_ahead`` on.

    Beat runs this daily; returns the partitions it created.
    """
    if connection.vendor != "postgresql":
        return []
    ahead = settings.PARTITIONS_AHEAD_MONTHS if months_ahead is None else months_ahead
    this_month = Month.of(timezone.now())
    created = []
    for history in HISTORY_TABLES:
        if not is_partitioned(connection, history.table):
            continue
        for month in months_between(this_month, this_month.plus(ahead)):
            created.extend(create_partition(history, month))
    return created
