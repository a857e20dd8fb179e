"""Move old month partitions of the history tables to compressed files, and back.

A month is archived in one transaction: its partition is locked against
writes, exported (``COPY ... TO STDOUT`` as CSV, rows in column order, gzip)
to a temporary file while a SHA-256 and row count are taken of the CSV, the
file is read back and must give the same checksum and count, the file and a
manifest (``.json``) are moved into place, and only then is the partition
detached and dropped. A crash at any point leaves either the partition or
the verified file (with the partition too, until the commit): nothing lost,
and a rerun picks up where it stopped, a month at a time. A month of ledger
lines leaves its sums per balance behind as carry-forward rows, in the same
transaction, so reconciliation stays exact (ADR 0049); lines go before the
journal entries they point at.

Restoring loads the file into a new table, checks the checksum and count
against the manifest, exports the loaded rows again and compares checksums
(the exact round trip), then attaches the month back: the trader's history
API sees it again.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from exchange.retention.ledger_keys import LEDGER_TABLES, tie_ledger_months
from exchange.retention.months import Month
from exchange.retention.partitions import (
    HISTORY_TABLES,
    LEDGER_LINES,
    HistoryTable,
    is_partitioned,
    monthly_partitions,
)
from exchange.wallets.carry_forward import carry_forward_month, take_back_month

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Manifest:
    """What an archive file holds; a restore refuses a file that does not match it."""

    table: str
    partition: str
    month: str
    rows: int
    sha256: str  # of the uncompressed CSV
    file: str
    archived_at: str


class ArchiveMismatchError(Exception):
    """A file's or table's rows differ from what was exported: nothing was dropped."""


class _Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


class _Digest:
    """A write-only file that hashes and counts the lines passing through to ``out``."""

    def __init__(self, out: _Sink | None = None) -> None:
        self.out = out
        self.sha = hashlib.sha256()
        self.lines = 0

    def write(self, data: str | bytes) -> int:
        raw = data.encode() if isinstance(data, str) else data
        self.sha.update(raw)
        self.lines += raw.count(b"\n")
        if self.out is not None:
            self.out.write(raw)
        return len(raw)


def _copy_out_sql(name: str) -> str:
    """Every row of ``name`` as CSV with a header, in column order (a stable checksum)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {name} LIMIT 0")  # noqa: S608
        width = len(cursor.description or ())
    order = ", ".join(str(i) for i in range(1, width + 1))
    return f"COPY (SELECT * FROM {name} ORDER BY {order}) TO STDOUT WITH (FORMAT csv, HEADER)"  # noqa: S608


def _export(name: str, out: _Sink | None) -> _Digest:
    digest = _Digest(out)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(_copy_out_sql(name), digest)
    return digest


def _read_back(path: Path) -> _Digest:
    digest = _Digest()
    with gzip.open(path, "rb") as source:
        while chunk := source.read(1 << 20):
            digest.write(chunk)
    return digest


def archive_dir(history: HistoryTable) -> Path:
    return Path(settings.ARCHIVE_DIR) / history.table


def is_archived(history: HistoryTable, month: Month) -> bool:
    """The month's partition was archived (its manifest is in the archive folder)."""
    return (archive_dir(history) / f"{history.partition(month)}.json").exists()


def archive_month(history: HistoryTable, month: Month) -> Manifest:
    """Export, verify, detach and drop one month partition (see the module docstring)."""
    part = history.partition(month)
    folder = archive_dir(history)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{part}.csv.gz"
    partial = folder / f"{part}.csv.gz.partial"
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {part} IN SHARE MODE")
        with partial.open("wb") as target:
            with gzip.GzipFile(fileobj=target, mode="wb") as packed:
                exported = _export(part, packed)
            target.flush()
            os.fsync(target.fileno())
        written = _read_back(partial)
        if (written.sha.hexdigest(), written.lines) != (exported.sha.hexdigest(), exported.lines):
            raise ArchiveMismatchError(f"{partial} does not read back as exported")
        manifest = Manifest(
            table=history.table,
            partition=part,
            month=str(month),
            rows=exported.lines - 1,  # less the header
            sha256=exported.sha.hexdigest(),
            file=path.name,
            archived_at=timezone.now().isoformat(),
        )
        partial.replace(path)
        (folder / f"{part}.json").write_text(json.dumps(asdict(manifest)))
        if history == LEDGER_LINES:
            carry_forward_month(partition=part, month=str(month))
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {history.table} DETACH PARTITION {part}")
            cursor.execute(f"DROP TABLE {part}")
    logger.info("archived %s: %d rows to %s", part, manifest.rows, path)
    return manifest


def archive_before(before: Month) -> list[Manifest]:
    """Archive every history month partition older than ``before`` (never this month)."""
    if connection.vendor != "postgresql":
        return []
    this_month = Month.of(timezone.now())
    if before > this_month:
        raise ValueError(f"{before} is after this month ({this_month}): still being written")
    done = []
    for history in HISTORY_TABLES:
        if not is_partitioned(connection, history.table):
            continue
        for month, _ in sorted(monthly_partitions(history).items()):
            if month < before:
                done.append(archive_month(history, month))
    return done


def archive_expired() -> list[Manifest]:
    """Beat's archiver: the months older than ``ARCHIVE_AFTER_MONTHS`` (0: off)."""
    keep = settings.ARCHIVE_AFTER_MONTHS
    if keep <= 0:
        return []
    return archive_before(Month.of(timezone.now()).plus(-keep))


def read_manifest(path: Path) -> Manifest:
    data: dict[str, Any] = json.loads(path.read_text())
    return Manifest(**data)


def restore_month(history: HistoryTable, month: Month) -> Manifest:
    """Load an archived month back and attach it, after checking it row for row."""
    part = history.partition(month)
    folder = archive_dir(history)
    manifest = read_manifest(folder / f"{part}.json")
    if month in monthly_partitions(history):
        return manifest  # restored before
    loaded = _Digest()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {part}"
                f" (LIKE {history.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            )
            with gzip.open(folder / manifest.file, "rb") as source:
                while chunk := source.read(1 << 20):
                    loaded.write(chunk)
                source.seek(0)
                cursor.cursor.copy_expert(
                    f"COPY {part} FROM STDIN WITH (FORMAT csv, HEADER)", source
                )
        again = _export(part, None)
        seen = {(loaded.sha.hexdigest(), loaded.lines), (again.sha.hexdigest(), again.lines)}
        if seen != {(manifest.sha256, manifest.rows + 1)}:
            raise ArchiveMismatchError(f"{manifest.file} does not match its manifest")
        if history == LEDGER_LINES and not take_back_month(partition=part, month=str(month)):
            raise ArchiveMismatchError(f"{manifest.file} does not match its carry-forward")
        with connection.cursor() as cursor:
            cursor.execute(
                f"ALTER TABLE {history.table} ATTACH PARTITION {part} {history.range_sql(month)}"
            )
        if history.table in LEDGER_TABLES and part in tie_ledger_months():
            raise ArchiveMismatchError(f"restore the journal entries of {month} before its lines")
    logger.info("restored %s: %d rows from %s", part, manifest.rows, manifest.file)
    return manifest


def history_table(table: str) -> HistoryTable:
    for history in HISTORY_TABLES:
        if history.table == table:
            return history
    raise ValueError(f"not a partitioned history table: {table}")
