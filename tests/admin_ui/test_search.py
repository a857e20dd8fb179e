"""Admin searches as operators use them: a user's email, an order id, a client order id,
a txid, across orders, trades, deposits, withdrawals and the ledger."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from exchange.accounts.models import User
from exchange.orders.models import Order
from exchange.wallets.actions import do_credit_deposit, do_request_withdrawal
from exchange.wallets.models import Withdrawal
from exchange.wallets.requests import WithdrawalRequest
from tests.admin_ui.burst import trading_burst

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator_client(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(email="ops@example.com", password="x"))
    return client


@pytest.fixture
def world(redis_client, make_user, assets, btcusdt):
    """Alice sells to Bob twice; Alice deposited by a known txid, Bob asked to withdraw."""
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    do_credit_deposit(user=alice, asset=assets["BTC"], amount="1", network="BTC", txid="f00dtx")
    do_credit_deposit(
        user=bob, asset=assets["USDT"], amount="5000", network="ETH", txid="usdt-in", log_index=3
    )
    orders = trading_burst(alice, bob, fills=2)
    withdrawal = do_request_withdrawal(
        user=bob,
        request=WithdrawalRequest.parse(
            asset=assets["BTC"], amount="0.005", network="BTC", address="bc1qbob"
        ),
    )
    Withdrawal.objects.filter(pk=withdrawal.pk).update(txid="beef01")  # as a payout sets it
    return {"alice": alice, "bob": bob, "orders": orders, "withdrawal": withdrawal}


def found(client: Client, page: str, term: str) -> list[object]:
    response = client.get(reverse(f"admin:{page}_changelist"), {"q": term})
    assert response.status_code == 200, page
    return list(response.context["cl"].result_list)


def test_orders_by_id_client_order_id_and_email(operator_client, world):
    first = world["orders"][0]
    assert found(operator_client, "orders_order", str(first.pk)) == [first]
    [by_client_id] = found(operator_client, "orders_order", "burst-buy-1")
    assert by_client_id.user == world["bob"]
    assert {o.user_id for o in found(operator_client, "orders_order", "alice@")} == {
        world["alice"].pk
    }


def test_trades_by_either_side_s_order_or_email(operator_client, world):
    sell, buy = world["orders"][2], world["orders"][3]  # the second fill
    for term in (str(sell.pk), str(buy.pk), "burst-sell-1", "burst-buy-1"):
        [trade] = found(operator_client, "orders_trade", term)
        assert (trade.maker_order_id, trade.taker_order_id) == (sell.pk, buy.pk), term
    assert len(found(operator_client, "orders_trade", "bob@example.com")) == 2
    assert found(operator_client, "orders_trade", "nobody@example.com") == []


def test_deposits_and_withdrawals_by_txid_id_and_email(operator_client, world):
    [deposit] = found(operator_client, "wallets_deposit", "f00dtx")
    assert deposit.user == world["alice"]
    assert [d.txid for d in found(operator_client, "wallets_deposit", "bob@example.com")] == [
        "usdt-in"
    ]
    withdrawal = world["withdrawal"]
    for term in ("beef01", str(withdrawal.pk), "bc1qbob", "bob@"):
        assert [w.pk for w in found(operator_client, "wallets_withdrawal", term)] == [
            withdrawal.pk
        ], term


def test_the_ledger_by_order_id_txid_withdrawal_and_email(operator_client, world):
    order: Order = world["orders"][0]
    [entry] = found(operator_client, "wallets_journalentry", str(order.pk))
    assert entry.reference == f"order:{order.pk}"
    [deposit_entry] = found(operator_client, "wallets_journalentry", "usdt-in")
    assert deposit_entry.reference == "deposit:ETH:usdt-in:3"
    [withdrawal_entry] = found(operator_client, "wallets_journalentry", "beef01")
    assert withdrawal_entry.reference == f"withdrawal:{world['withdrawal'].pk}"
    # a user's ledger lines: the deposit, two order locks, the withdrawal and the settlements
    lines = found(operator_client, "wallets_ledgerline", "alice@example.com")
    assert lines and all(line.account.user_id == world["alice"].pk for line in lines)
    assert {line.entry.reference.split(":")[0] for line in lines} >= {
        "deposit",
        "order",
        "clearing",
    }
    txid_lines = found(operator_client, "wallets_ledgerline", "f00dtx")
    assert {line.entry.reference for line in txid_lines} == {"deposit:BTC:f00dtx"}
