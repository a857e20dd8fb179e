"""Journal entries and ledger lines by month, archived with a carry-forward (ADR 0049)."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.models import F

from exchange.reconciliation.checks import reconcile
from exchange.retention.archive import (
    ArchiveMismatchError,
    archive_before,
    archive_month,
    restore_month,
)
from exchange.retention.ledger_keys import tie_ledger_months
from exchange.retention.months import Month
from exchange.retention.partitions import (
    JOURNAL_ENTRIES,
    LEDGER_LINES,
    create_partition,
    monthly_partitions,
)
from exchange.wallets.models import Balance, CarryForward, JournalEntry, LedgerLine
from tests.exchange.retention.history import partition_of

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's"),
]
UTC = dt.UTC
LINES, ENTRIES = LEDGER_LINES, JOURNAL_ENTRIES
JAN, FEB, MARCH = Month(2020, 1), Month(2020, 2), Month(2020, 3)


@pytest.fixture
def archive_dir(settings, tmp_path) -> Path:
    settings.ARCHIVE_DIR = tmp_path
    return tmp_path


def _backdate(entries: list[int], when: dt.datetime) -> None:
    """Move entries and their lines to ``when`` (their months' partitions) together."""
    with connection.cursor() as cursor:
        cursor.execute(  # the lines first: an entry still referenced does not move
            "UPDATE wallets_ledgerline SET created_at = %s WHERE entry_id = ANY(%s)",
            [when, entries],
        )
        cursor.execute(
            "UPDATE wallets_journalentry SET created_at = %s WHERE id = ANY(%s)", [when, entries]
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the lines' key to their entry holds
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django's keys are until the commit


def _lines() -> list[tuple]:
    return list(LedgerLine.objects.order_by("id").values_list())


def _entries() -> list[tuple]:
    return list(JournalEntry.objects.order_by("id").values_list())


def _balances() -> list[tuple]:
    return list(Balance.objects.order_by("id").values_list("id", "available", "locked"))


@pytest.fixture
def old_ledger(make_user, assets, fund) -> dict[str, list]:
    """Deposits in January and February 2020 and one today, for two users."""
    for history in (LINES, ENTRIES):
        create_partition(history, JAN), create_partition(history, FEB)
    users = [make_user(), make_user()]
    for month in (1, 2, None):
        before = set(JournalEntry.objects.values_list("id", flat=True))
        for n, user in enumerate(users):
            fund(user, assets["BTC"], f"0.{n + 1}2345678")
            fund(user, assets["USDT"], "1000.5")
        if month is not None:
            new = sorted(set(JournalEntry.objects.values_list("id", flat=True)) - before)
            _backdate(new, dt.datetime(2020, month, 15, 12, 0, 0, 123456, tzinfo=UTC))
    return {"lines": _lines(), "entries": _entries(), "balances": _balances()}


def test_lines_and_entries_are_in_their_months_partitions(old_ledger) -> None:
    # given the ledger of January, February and today
    this_month = Month.of(dt.datetime.now(UTC)).suffix
    # then each month's lines and entries are in their own partitions
    assert partition_of("wallets_ledgerline", "true", []) == [
        "wallets_ledgerline_p2020_01",
        "wallets_ledgerline_p2020_02",
        f"wallets_ledgerline_{this_month}",
    ]
    assert partition_of("wallets_journalentry", "created_at < %s", [FEB.start]) == [
        "wallets_journalentry_p2020_01"
    ]
    # and every line has its entry's time
    assert not LedgerLine.objects.exclude(created_at=F("entry__created_at")).exists()


def test_a_query_of_lines_by_time_reads_only_its_month(old_ledger) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT * FROM wallets_ledgerline WHERE created_at >= %s AND created_at < %s",
            [FEB.start, FEB.plus(1).start],
        )
        plan = "\n".join(row for (row,) in cursor.fetchall())
    assert "wallets_ledgerline_p2020_02" in plan
    assert "wallets_ledgerline_p2020_01" not in plan
    assert "wallets_ledgerline_default" not in plan


def test_archiving_a_month_leaves_a_carry_forward_and_reconciliation_exact(
    archive_dir, old_ledger
) -> None:
    # given a reconciled ledger
    assert reconcile().ok
    # when January is archived
    out = StringIO()
    call_command("archive", "--before", "2020-02", stdout=out)
    # then its lines and entries are gone (lines first), the balances are untouched,
    assert "archived wallets_ledgerline_p2020_01: 8 rows" in out.getvalue()
    assert "archived wallets_journalentry_p2020_01: 4 rows" in out.getvalue()
    assert out.getvalue().index("wallets_ledgerline_p2020_01") < out.getvalue().index(
        "wallets_journalentry_p2020_01"
    )
    assert JAN not in monthly_partitions(LINES) and JAN not in monthly_partitions(ENTRIES)
    assert _lines() == [line for line in old_ledger["lines"] if line[-1].month != 1]
    assert _balances() == old_ledger["balances"]
    # the carry-forward holds January's sums, and reconciliation still passes exactly
    carried = {(c.account_id, c.asset_id, c.bucket): c.amount for c in CarryForward.objects.all()}
    january = {}
    for line in old_ledger["lines"]:
        if line[-1].month == 1:
            _, _, account, asset, bucket, amount, _ = line
            january[(account, asset, bucket)] = january.get((account, asset, bucket), 0) + amount
    assert carried == january
    assert set(CarryForward.objects.values_list("month", flat=True)) == {"2020-01"}
    report = reconcile()
    assert report.ok, report.violations


def test_restore_gives_back_the_rows_and_takes_back_the_carry_forward(
    archive_dir, old_ledger
) -> None:
    # given January and February archived
    archive_before(Month(2020, 3))
    assert reconcile().ok
    # when both are restored, entries before the lines that point at them
    for month in ("2020-01", "2020-02"):
        call_command("archive", "--restore", "wallets_journalentry", month, stdout=StringIO())
        call_command("archive", "--restore", "wallets_ledgerline", month, stdout=StringIO())
    # then every row is back exactly, the carry-forward is gone, and the ledger reconciles
    assert _lines() == old_ledger["lines"]
    assert _entries() == old_ledger["entries"]
    assert not CarryForward.objects.exists()
    assert reconcile().ok


def test_a_restore_that_disagrees_with_the_carry_forward_is_refused(
    archive_dir, old_ledger
) -> None:
    # given January archived, and its carry-forward changed since
    archive_before(FEB)
    restore_month(ENTRIES, JAN)
    changed = CarryForward.objects.order_by("id").first()
    changed.amount += 1
    changed.save()
    # when its lines are restored
    with pytest.raises(ArchiveMismatchError):
        restore_month(LINES, JAN)
    # then the lines stay out and the carry-forward stays
    assert JAN not in monthly_partitions(LINES)
    assert CarryForward.objects.filter(month="2020-01").count() == len(
        {(line[2], line[3], line[4]) for line in old_ledger["lines"] if line[-1].month == 1}
    )


def test_each_lines_month_is_keyed_to_its_own_entries_month(old_ledger) -> None:
    # the key is declared between twin partitions, so its check reads one plain table
    # (ADR 0052), and the parents carry none
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
            " WHERE contype = 'f' AND confrelid::regclass::text LIKE 'wallets_journalentry%%'"
            " AND conrelid::regclass::text LIKE 'wallets_ledgerline%%'"
        )
        keys = sorted(cursor.fetchall())
    lines = sorted([*monthly_partitions(LINES).values(), "wallets_ledgerline_default"])
    assert [line for line, _ in keys] == lines
    for line, entries in keys:
        assert entries == line.replace("wallets_ledgerline", "wallets_journalentry")


@pytest.mark.parametrize("drift", [dt.timedelta(0), dt.timedelta(microseconds=1)])
def test_a_line_whose_entry_is_not_in_its_month_is_refused(old_ledger, drift) -> None:
    # given a line pointing at a January entry: a missing id, or the right id at another time
    entry = JournalEntry.objects.filter(created_at__month=1).order_by("id").first()
    line = LedgerLine.objects.filter(entry=entry).first()
    missing = JournalEntry.objects.order_by("-id").first().pk + 1
    # when it is written, then its month's key refuses it
    with pytest.raises(IntegrityError, match="foreign key"), transaction.atomic():
        LedgerLine.objects.create(
            entry_id=missing if not drift else entry.pk,
            account_id=line.account_id,
            asset_id=line.asset_id,
            amount=0,
            created_at=entry.created_at + drift,
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert _lines() == old_ledger["lines"]


def test_an_entry_month_is_not_archived_while_its_lines_are_there(archive_dir, old_ledger) -> None:
    # when January's entries are archived before its lines
    with pytest.raises(InternalError, match="depend on it"):
        archive_month(ENTRIES, JAN)
    # then the lines' key stopped the drop: both months stay, every row in place
    assert JAN in monthly_partitions(ENTRIES) and JAN in monthly_partitions(LINES)
    assert _entries() == old_ledger["entries"] and _lines() == old_ledger["lines"]


def test_lines_are_not_restored_before_their_entries(archive_dir, old_ledger) -> None:
    # given January archived
    archive_before(FEB)
    # when its lines are restored first, then that is refused and nothing is attached
    with pytest.raises(ArchiveMismatchError, match="journal entries of 2020-01"):
        restore_month(LINES, JAN)
    assert JAN not in monthly_partitions(LINES)
    assert CarryForward.objects.filter(month="2020-01").exists()


@pytest.fixture
def march_deposit(make_user, assets, fund) -> list[int]:
    """A deposit of March 2020, a month with no partition: its rows wait in the defaults."""
    before = set(JournalEntry.objects.values_list("id", flat=True))
    fund(make_user(), assets["USDT"], "12.5")
    new = sorted(set(JournalEntry.objects.values_list("id", flat=True)) - before)
    _backdate(new, dt.datetime(2020, 3, 31, 23, 59, 59, 999999, tzinfo=UTC))
    assert partition_of("wallets_ledgerline", "entry_id = ANY(%s)", [new]) == [
        "wallets_ledgerline_default"
    ]
    assert partition_of("wallets_journalentry", "id = ANY(%s)", [new]) == [
        "wallets_journalentry_default"
    ]
    return new


def _check_keys_now() -> None:
    """Check the deferred keys at once (the test's transaction never commits)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _assert_moved_to_march(entries: list[int], rows: dict[str, list[tuple]]) -> None:
    _check_keys_now()
    assert partition_of("wallets_ledgerline", "entry_id = ANY(%s)", [entries]) == [
        "wallets_ledgerline_p2020_03"
    ]
    assert partition_of("wallets_journalentry", "id = ANY(%s)", [entries]) == [
        "wallets_journalentry_p2020_03"
    ]
    assert {"lines": _lines(), "entries": _entries()} == rows
    assert partition_of("wallets_ledgerline_default", "true", []) == []
    assert partition_of("wallets_journalentry_default", "true", []) == []
    assert tie_ledger_months() == []  # March's lines are keyed to March's entries
    assert reconcile().ok


@pytest.mark.parametrize("first", [LINES, ENTRIES], ids=["lines", "entries"])
def test_ledger_rows_of_a_month_without_partition_wait_in_the_default_and_move(
    march_deposit, first
) -> None:
    # given a deposit of March 2020 waiting in the default partitions
    rows = {"lines": _lines(), "entries": _entries()}
    # when beat creates March's partition of either table
    created = create_partition(first, MARCH)
    # then both tables got March, the lines and entry moved into it, still keyed together
    assert created == ["wallets_ledgerline_p2020_03", "wallets_journalentry_p2020_03"]
    _assert_moved_to_march(march_deposit, rows)
    # and the other table's month is there already
    assert create_partition(LINES, MARCH) == create_partition(ENTRIES, MARCH) == []


def test_a_month_whose_lines_were_moved_alone_gets_its_entries(march_deposit) -> None:
    # given March's lines moved into their own partition alone (as before ADR 0050)
    rows = {"lines": _lines(), "entries": _entries()}
    in_march = "created_at >= '2020-03-01' AND created_at < '2020-04-01'"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE wallets_ledgerline_p2020_03 (LIKE wallets_ledgerline)")
        cursor.execute(
            f"INSERT INTO wallets_ledgerline_p2020_03 SELECT * FROM wallets_ledgerline_default"  # noqa: S608
            f" WHERE {in_march}"
        )
        cursor.execute(f"DELETE FROM wallets_ledgerline_default WHERE {in_march}")  # noqa: S608
        cursor.execute(
            "ALTER TABLE wallets_ledgerline ATTACH PARTITION wallets_ledgerline_p2020_03"
            " FOR VALUES FROM ('2020-03-01') TO ('2020-04-01')"
        )
    # when the entries' March is created
    created = create_partition(ENTRIES, MARCH)
    # then the entry moved too, under the lines that point at it
    assert created == ["wallets_journalentry_p2020_03"]
    _assert_moved_to_march(march_deposit, rows)
    assert MARCH in monthly_partitions(LINES)
