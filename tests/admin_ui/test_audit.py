"""Every operator action in the admin writes one audit record, and the log cannot be rewritten."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client
from django.urls import reverse

from exchange.accounts.actions import do_create_api_key
from exchange.accounts.models import ApiKey, User
from exchange.accounts.requests import ApiKeyRequest
from exchange.audit.actions import Operator
from exchange.audit.models import AppendOnlyError, AuditAction, AuditRecord
from exchange.clearing.models import DeadLetter
from exchange.markets.actions import do_create_market
from exchange.markets.models import FeeOverride
from exchange.wallets.actions import do_request_withdrawal
from exchange.wallets.requests import WithdrawalRequest

OPS_IP = "203.0.113.7"


@pytest.fixture
def ops(db) -> User:
    return User.objects.create_superuser(email="ops@example.com", password="x")


@pytest.fixture
def operator_client(ops) -> Client:
    client = Client(REMOTE_ADDR=OPS_IP)
    client.force_login(ops)
    return client


def the_record(action: AuditAction) -> AuditRecord:
    (record,) = AuditRecord.objects.filter(action=action)
    return record


def assert_by_operator(record: AuditRecord, ops: User) -> None:
    assert (record.actor_id, record.actor_email, record.client_ip) == (ops.pk, ops.email, OPS_IP)


def changelist_action(client: Client, model: str, action: str, pk: int) -> None:
    response = client.post(
        reverse(f"admin:{model}_changelist"), {"action": action, "_selected_action": [pk]}
    )
    assert response.status_code == 302


def change_form_data(client: Client, url: str) -> dict[str, object]:
    """The values a browser would post back from the change form as rendered."""
    form = client.get(url).context["adminform"].form
    return {
        name: value
        for name in form.fields
        if (value := form.initial.get(name, form.fields[name].initial)) is not None
    }


@pytest.mark.parametrize(("action", "status"), [("halt", "HALT"), ("resume", "TRADING")])
def test_halt_and_resume_are_audited(operator_client, ops, btcusdt, action, status):
    changelist_action(operator_client, "markets_market", "halt", btcusdt.pk)
    if action == "resume":
        changelist_action(operator_client, "markets_market", "resume", btcusdt.pk)
    record = AuditRecord.objects.filter(action=AuditAction.MARKET_STATUS).first()
    assert record is not None
    assert_by_operator(record, ops)
    assert (record.target_type, record.target_id) == ("market", str(btcusdt.pk))
    assert record.after == {"status": status}
    assert record.before == {"status": "TRADING" if action == "halt" else "HALT"}


def test_market_change_is_audited_with_before_and_after(operator_client, ops, btcusdt):
    url = reverse("admin:markets_market_change", args=[btcusdt.pk])
    data = {**change_form_data(operator_client, url), "taker_fee": "0.003"}
    assert operator_client.post(url, data).status_code == 302
    btcusdt.refresh_from_db()
    assert btcusdt.taker_fee == Decimal("0.003")
    record = the_record(AuditAction.MARKET_CHANGE)
    assert_by_operator(record, ops)
    assert Decimal(record.before["taker_fee"]) == Decimal("0.002")
    assert Decimal(record.after["taker_fee"]) == Decimal("0.003")


def test_market_change_that_breaks_a_rule_changes_nothing(operator_client, btcusdt):
    url = reverse("admin:markets_market_change", args=[btcusdt.pk])
    data = {**change_form_data(operator_client, url), "min_qty": "10000"}  # above max_qty
    operator_client.post(url, data)
    btcusdt.refresh_from_db()
    assert btcusdt.min_qty == Decimal("0.00001")
    assert not AuditRecord.objects.filter(action=AuditAction.MARKET_CHANGE).exists()


def test_market_create_is_audited(ops, assets):
    market = do_create_market(
        base=assets["ETH"],
        quote=assets["USDT"],
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.001"),
        min_qty=Decimal("0.001"),
        max_qty=Decimal("100"),
        operator=Operator(user=ops, client_ip=OPS_IP),
    )
    record = the_record(AuditAction.MARKET_CREATE)
    assert_by_operator(record, ops)
    assert record.before is None
    assert record.after["symbol"] == market.symbol == "ETHUSDT"


def test_fee_override_set_and_remove_are_audited(operator_client, ops, btcusdt, make_user):
    trader = make_user()
    add = operator_client.post(
        reverse("admin:markets_feeoverride_add"),
        {"user": trader.pk, "market": btcusdt.pk, "maker_fee": "0", "taker_fee": "0.0005"},
    )
    assert add.status_code == 302
    override = FeeOverride.objects.get()
    record = the_record(AuditAction.FEE_OVERRIDE_SET)
    assert_by_operator(record, ops)
    assert record.before is None
    assert record.after == {
        "user": trader.pk,
        "market": btcusdt.pk,
        "maker_fee": "0",
        "taker_fee": "0.0005",
    }
    delete = operator_client.post(
        reverse("admin:markets_feeoverride_delete", args=[override.pk]), {"post": "yes"}
    )
    assert delete.status_code == 302
    assert not FeeOverride.objects.exists()
    removed = the_record(AuditAction.FEE_OVERRIDE_REMOVE)
    assert removed.before == record.after and removed.after is None


def test_balance_adjustment_is_audited_with_its_reason(
    operator_client, ops, make_user, assets, fund
):
    user = make_user()
    fund(user, assets["ETH"], "2")
    url = reverse("admin:balance_adjust")
    html = operator_client.get(url).content.decode()
    key = html.split('name="idempotency_key" value="')[1][:36]
    form = {
        "email": user.email,
        "asset": assets["ETH"].pk,
        "amount": "-0.5",
        "reason": "chargeback 42",
        "idempotency_key": key,
    }
    assert operator_client.post(url, form).status_code == 302
    assert operator_client.post(url, form).status_code == 302  # the double submit
    record = the_record(AuditAction.BALANCE_ADJUST)
    assert_by_operator(record, ops)
    assert record.reason == "chargeback 42"
    assert record.after["amount"] == "-0.5"
    assert record.after["asset"] == "ETH"


@pytest.mark.parametrize(
    ("action", "audited"),
    [("approve", AuditAction.WITHDRAWAL_APPROVE), ("reject", AuditAction.WITHDRAWAL_REJECT)],
)
def test_withdrawal_decisions_are_audited(
    operator_client, ops, make_user, assets, fund, action, audited
):
    user = make_user()
    fund(user, assets["BTC"], "2")
    w = do_request_withdrawal(
        user=user,
        request=WithdrawalRequest.parse(
            asset=assets["BTC"], amount="1", network="BTC", address="bc1q"
        ),
    )
    changelist_action(operator_client, "wallets_withdrawal", action, w.pk)
    record = the_record(audited)
    assert_by_operator(record, ops)
    assert record.before["status"] == "PENDING"
    assert record.after["status"] == w.__class__.objects.get().status


def test_api_key_revoke_is_audited(operator_client, ops, make_user):
    created = do_create_api_key(
        user=make_user(), request=ApiKeyRequest.parse(label="bot", permissions=["read"])
    )
    changelist_action(operator_client, "accounts_apikey", "revoke", created.api_key.pk)
    assert not ApiKey.objects.get().is_active
    record = the_record(AuditAction.API_KEY_REVOKE)
    assert_by_operator(record, ops)
    assert record.target_id == str(created.api_key.pk)


def test_user_deactivation_is_audited(operator_client, ops, make_user):
    user = make_user()
    changelist_action(operator_client, "accounts_user", "deactivate", user.pk)
    user.refresh_from_db()
    assert not user.is_active
    record = the_record(AuditAction.USER_DEACTIVATE)
    assert_by_operator(record, ops)
    assert (record.before, record.after) == ({"is_active": True}, {"is_active": False})


def test_dead_letter_resolution_needs_a_text_and_is_audited(operator_client, ops):
    letter = DeadLetter.objects.create(
        symbol="BTCUSDT", entry_id="1-0", payload_hex="00", error="boom"
    )
    changelist_action(operator_client, "clearing_deadletter", "mark_resolved", letter.pk)
    letter.refresh_from_db()
    assert letter.resolved_at is None  # no resolution written: refused
    assert not AuditRecord.objects.exists()
    DeadLetter.objects.filter(pk=letter.pk).update(resolution="replayed by hand")
    changelist_action(operator_client, "clearing_deadletter", "mark_resolved", letter.pk)
    letter.refresh_from_db()
    assert letter.resolved_at is not None
    record = the_record(AuditAction.DEAD_LETTER_RESOLVE)
    assert_by_operator(record, ops)
    assert record.reason == "replayed by hand"


def test_audit_log_is_listed_but_cannot_be_changed_or_deleted_from_the_admin(
    operator_client, ops, btcusdt
):
    changelist_action(operator_client, "markets_market", "halt", btcusdt.pk)
    record = the_record(AuditAction.MARKET_STATUS)
    listing = operator_client.get(
        reverse("admin:audit_auditrecord_changelist"), {"action__exact": "MARKET_STATUS"}
    )
    assert listing.status_code == 200
    assert b"ops@example.com" in listing.content
    assert b"delete_selected" not in listing.content
    change = operator_client.post(
        reverse("admin:audit_auditrecord_change", args=[record.pk]), {"reason": "oops"}
    )
    delete = operator_client.post(
        reverse("admin:audit_auditrecord_delete", args=[record.pk]), {"post": "yes"}
    )
    add = operator_client.get(reverse("admin:audit_auditrecord_add"))
    assert (change.status_code, delete.status_code, add.status_code) == (403, 403, 403)
    record.refresh_from_db()
    assert record.reason == ""


def test_audit_records_refuse_change_in_code_and_in_the_database(ops):
    record = AuditRecord.objects.create(
        actor=ops, action=AuditAction.MARKET_STATUS, target_type="market", target_id="1"
    )
    record.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(pk=record.pk).update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.all().delete()
    # raw SQL bypasses the model; the database's trigger still refuses
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET reason = 'rewritten'")
    record.refresh_from_db()
    assert record.reason == ""
