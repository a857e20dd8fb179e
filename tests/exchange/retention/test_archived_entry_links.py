"""A deposit's or adjustment's journal entry archived and restored (ADR 0050)."""

from __future__ import annotations

import datetime as dt
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from exchange.accounts.models import User
from exchange.reconciliation.checks import reconcile
from exchange.retention.months import Month
from exchange.retention.partitions import JOURNAL_ENTRIES, LEDGER_LINES, create_partition
from exchange.wallets.actions import do_adjust_balance, do_credit_deposit
from exchange.wallets.models import Adjustment, Deposit, JournalEntry
from exchange.wallets.selectors import deposit_list, with_journal_reference
from tests.exchange.retention.test_ledger_partitions import _backdate

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's"),
]
UTC = dt.UTC
JAN = Month(2020, 1)


def _references() -> dict[str, dict[int, str | None]]:
    return {
        "deposits": dict(
            with_journal_reference(Deposit.objects.all()).values_list("id", "journal_reference")
        ),
        "adjustments": dict(
            with_journal_reference(Adjustment.objects.all()).values_list("id", "journal_reference")
        ),
    }


def _page(client: Client, name: str, *args: int) -> str:
    response = client.get(reverse(f"admin:wallets_{name}", args=args))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def january(settings, tmp_path, make_user, assets) -> dict[str, object]:
    """A deposit and an adjustment of January 2020, whose entries a January archive takes."""
    settings.ARCHIVE_DIR = tmp_path
    for history in (LEDGER_LINES, JOURNAL_ENTRIES):
        create_partition(history, JAN)
    trader = make_user()
    operator = User.objects.create_superuser(email="ops@example.com", password="x")
    deposit, _ = do_credit_deposit(
        user=trader, asset=assets["USDT"], amount="250.5", network="ETH", txid="0xjan"
    )
    adjustment, _ = do_adjust_balance(
        user=trader,
        asset=assets["USDT"],
        amount="-0.5",
        reason="fee refund reversed",
        adjusted_by=operator,
        idempotency_key=uuid.uuid4(),
    )
    when = dt.datetime(2020, 1, 20, 9, 30, tzinfo=UTC)
    _backdate([deposit.entry_id, adjustment.entry_id], when)
    Deposit.objects.filter(pk=deposit.pk).update(created_at=when)
    Adjustment.objects.filter(pk=adjustment.pk).update(created_at=when)
    client = Client()
    client.force_login(operator)
    return {"trader": trader, "deposit": deposit, "adjustment": adjustment, "client": client}


def test_an_archived_entry_reads_archived_and_a_restore_links_it_again(january) -> None:
    deposit, adjustment, client = january["deposit"], january["adjustment"], january["client"]
    # given the deposit and adjustment linked to their entries
    linked = {
        "deposits": {deposit.pk: "deposit:ETH:0xjan"},
        "adjustments": {adjustment.pk: f"adjustment:{adjustment.idempotency_key}"},
    }
    assert _references() == linked
    rows = {
        "deposits": list(Deposit.objects.values_list()),
        "adjustments": list(Adjustment.objects.values_list()),
    }
    entry_url = reverse("admin:wallets_journalentry_change", args=[deposit.entry_id])
    assert entry_url in _page(client, "deposit_change", deposit.pk)
    # when January is archived
    call_command("archive", "--before", "2020-02", stdout=StringIO())
    # then the entries are gone and the deposit and adjustment stay, unchanged,
    assert not JournalEntry.objects.filter(pk__in=[deposit.entry_id, adjustment.entry_id]).exists()
    assert list(Deposit.objects.values_list()) == rows["deposits"]
    assert list(Adjustment.objects.values_list()) == rows["adjustments"]
    # their links read "archived" (no join drops them), the trader still sees the deposit
    assert _references() == {
        "deposits": {deposit.pk: None},
        "adjustments": {adjustment.pk: None},
    }
    for page in (
        _page(client, "deposit_changelist"),
        _page(client, "deposit_change", deposit.pk),
        _page(client, "adjustment_changelist"),
        _page(client, "adjustment_change", adjustment.pk),
    ):
        assert "archived" in page
        assert entry_url not in page
    assert "0xjan" in _page(client, "deposit_changelist")
    assert [d.pk for d in deposit_list(user=january["trader"])] == [deposit.pk]
    assert reconcile().ok
    # when the month is restored, entries before lines
    for table in ("wallets_journalentry", "wallets_ledgerline"):
        call_command("archive", "--restore", table, "2020-01", stdout=StringIO())
    # then the same ids link the same entries, with their lines, and the pages link them
    assert _references() == linked
    restored = Deposit.objects.get(pk=deposit.pk).entry
    assert sorted(line.amount for line in restored.lines.all()) == [-deposit.amount, deposit.amount]
    assert entry_url in _page(client, "deposit_change", deposit.pk)
    assert "archived" not in _page(client, "adjustment_changelist")
    assert reconcile().ok
