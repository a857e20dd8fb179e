"""The operator back office: every model listed, secrets hidden, actions call the ledger."""

from __future__ import annotations

import re
from decimal import Decimal
from uuid import UUID

import msgpack
import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from exchange.accounts.actions import do_create_api_key
from exchange.accounts.models import User
from exchange.accounts.requests import ApiKeyRequest
from exchange.clearing.models import DeadLetter
from exchange.reconciliation.checks import reconcile
from exchange.wallets.actions import do_request_withdrawal
from exchange.wallets.models import (
    Adjustment,
    Asset,
    Balance,
    JournalEntry,
    Withdrawal,
    WithdrawalStatus,
)
from exchange.wallets.requests import WithdrawalRequest
from matching_client import CommandType, input_stream


def decode_command(blob: bytes) -> list[object]:
    return msgpack.unpackb(blob)


@pytest.fixture
def operator_client(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(email="ops@example.com", password="x"))
    return client


def test_every_model_has_a_working_changelist_with_search(operator_client, btcusdt, make_user):
    do_create_api_key(
        user=make_user(), request=ApiKeyRequest.parse(label="bot", permissions=["read"])
    )
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = operator_client.get(url, {"q": "x"} if model_admin.search_fields else {})
        assert response.status_code == 200, url


def test_api_key_secret_is_never_displayed(operator_client, make_user):
    created = do_create_api_key(
        user=make_user(), request=ApiKeyRequest.parse(label="bot", permissions=["read"])
    )
    pages = [
        operator_client.get(reverse("admin:accounts_apikey_changelist")),
        operator_client.get(reverse("admin:accounts_apikey_change", args=[created.api_key.pk])),
    ]
    for page in pages:
        html = page.content.decode()
        assert created.secret not in html
        assert created.api_key.secret_encrypted not in html


@pytest.mark.parametrize(
    ("action", "status", "available"), [("approve", "APPROVED", "1"), ("reject", "REJECTED", "2")]
)
def test_withdrawal_actions(operator_client, make_user, assets, fund, action, status, available):
    user = make_user()
    fund(user, assets["BTC"], "2")
    w = do_request_withdrawal(
        user=user,
        request=WithdrawalRequest.parse(
            asset=assets["BTC"], amount="1", network="BTC", address="bc1q"
        ),
    )
    response = operator_client.post(
        reverse("admin:wallets_withdrawal_changelist"),
        {"action": action, "_selected_action": [w.pk]},
    )
    assert response.status_code == 302
    assert Withdrawal.objects.get().status == WithdrawalStatus(status)
    row = Balance.objects.get(account__user=user, asset=assets["BTC"])
    assert (row.available, row.locked) == (Decimal(available), Decimal(0))
    assert reconcile().ok


def rendered_idempotency_key(client: Client) -> str:
    """The hidden key of a freshly rendered adjustment form."""
    html = client.get(reverse("admin:balance_adjust")).content.decode()
    found = re.search(r'<input type="hidden" name="idempotency_key" value="([0-9a-f-]{36})"', html)
    assert found, html
    return found.group(1)


def test_adjustment_form_requires_reason_and_posts_entry(operator_client, make_user, assets):
    user = make_user()
    url = reverse("admin:balance_adjust")
    key = rendered_idempotency_key(operator_client)
    form = {"email": user.email, "asset": assets["ETH"].pk, "idempotency_key": key}
    missing = operator_client.post(url, {**form, "amount": "1", "reason": ""})
    assert missing.status_code == 200
    assert key in missing.content.decode()  # the re-rendered form keeps its key
    assert not JournalEntry.objects.exists()
    done = operator_client.post(url, {**form, "amount": "1.5", "reason": "promo"})
    assert done.status_code == 302
    assert Balance.objects.get(account__user=user, asset=assets["ETH"]).available == Decimal("1.5")
    assert JournalEntry.objects.get().memo == "promo"


def test_adjustment_form_double_submit_is_applied_once(operator_client, make_user, assets):
    # given a rendered form (each rendering has its own key)
    user = make_user()
    key = rendered_idempotency_key(operator_client)
    assert rendered_idempotency_key(operator_client) != key
    form = {
        "email": user.email,
        "asset": assets["ETH"].pk,
        "amount": "1.5",
        "reason": "promo",
        "idempotency_key": key,
    }
    url = reverse("admin:balance_adjust")
    # when it is submitted twice (browser retry, double click)
    first = operator_client.post(url, form, follow=True)
    second = operator_client.post(url, form, follow=True)
    # then the second is a no-op that says so
    assert [str(m) for m in first.context["messages"]] == ["Balance adjusted."]
    assert [str(m) for m in second.context["messages"]] == [
        "This adjustment was already posted (the form was submitted twice); "
        "it was not applied again."
    ]
    assert Balance.objects.get(account__user=user, asset=assets["ETH"]).available == Decimal("1.5")
    assert JournalEntry.objects.count() == 1
    assert Adjustment.objects.get().idempotency_key == UUID(key)


def test_adjustment_form_without_key_posts_nothing(operator_client, make_user, assets):
    user = make_user()
    response = operator_client.post(
        reverse("admin:balance_adjust"),
        {"email": user.email, "asset": assets["ETH"].pk, "amount": "1", "reason": "promo"},
    )
    assert response.status_code == 200
    assert "(Hidden field idempotency_key) This field is required." in response.content.decode()
    assert not JournalEntry.objects.exists()


def test_market_halt_action_tells_the_engine(
    operator_client, btcusdt, redis_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        operator_client.post(
            reverse("admin:markets_market_changelist"),
            {"action": "halt", "_selected_action": [btcusdt.pk]},
        )
    btcusdt.refresh_from_db()
    assert btcusdt.status == "HALT"
    commands = [decode_command(f[b"d"]) for _, f in redis_client.xrange(input_stream("BTCUSDT"))]
    assert commands[-2:] == [
        [1, CommandType.MARKET_CREATE, "BTCUSDT", 1, 1_000_000],
        [1, CommandType.HALT],
    ]


def test_index_alerts_on_unresolved_dead_letters(operator_client):

    assert b"Clearing parked" not in operator_client.get("/admin/").content
    DeadLetter.objects.create(symbol="BTCUSDT", entry_id="1-0", payload_hex="00", error="boom")
    page = operator_client.get("/admin/").content.decode()
    assert "Clearing parked 1 engine output entry" in page


def test_markets_and_assets_cannot_be_deleted(operator_client, btcusdt):
    # given a market and an asset nothing references: PROTECT alone would let them go,
    # and orders and ledger lines name them without a FK constraint (ADR 0011)
    doge = Asset.objects.create(code="DOGE", name="Dogecoin", precision=8)
    for obj in (btcusdt, doge):
        name = f"admin:{obj._meta.app_label}_{obj._meta.model_name}"
        # when
        bulk = operator_client.post(
            reverse(f"{name}_changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
            follow=True,
        )
        page = operator_client.post(reverse(f"{name}_delete", args=[obj.pk]), {"post": "yes"})
        # then
        assert b"delete_selected" not in bulk.content
        assert b"delete_selected" not in operator_client.get(reverse(f"{name}_changelist")).content
        assert page.status_code == 403
        assert type(obj).objects.filter(pk=obj.pk).exists()
