"""The native REST and GraphQL wallet surfaces on a chain (the simulated one): a deposit
address, chain deposits with their confirmations, withdrawal requests under the asset's
rules and their history with txid and confirmations — the same services behind both."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from api.rest.accounts.tokens import issue_token
from exchange.demo.simnet import seed_sim_network
from exchange.wallets.actions import do_approve_withdrawal
from exchange.wallets.chains.simchain import sim_address, sim_deposit, sim_mine
from exchange.wallets.deposit_watch import scan_network
from exchange.wallets.models import Balance, Withdrawal
from exchange.wallets.payouts import pay_network
from tests.api.graphql.conftest import Caller
from tests.api.rest.conftest import error

PAYEE = sim_address("payee")
ME = """
query ($asset: String!) {
  me {
    depositAddress(asset: $asset) { asset network address memo }
    chainDeposits(first: 10) {
      edges { node { asset amount txid logIndex status confirmations requiredConfirmations } }
    }
    withdrawals(first: 10) {
      edges { node { id amount fee memo status txid confirmations } }
    }
  }
}
"""


@pytest.fixture
def sim(assets):
    return seed_sim_network(assets)


@pytest.fixture
def as_user():
    """A GraphQL caller with the user's token (as tests/api/graphql's fixture)."""
    return lambda user: Caller(Client(), token=issue_token(user=user))


def test_deposit_address_and_confirming_deposits_agree_on_rest_and_graphql(
    make_user, client_for, as_user, sim
):
    # given alice's USDT address (2 confirmations) receiving 250 USDT, seen at 1 confirmation
    alice = make_user()
    rest, graphql = client_for(alice), as_user(alice)
    address = rest.get("/api/v1/deposit-address", {"asset": "USDT"}).json()
    sim_deposit("SIM", to=address["address"], amount=Decimal("250"), contract="sim-usdt-token")
    sim_mine("SIM")
    scan_network(sim)
    # when both surfaces are asked
    listed = rest.get("/api/v1/chain-deposits").json()["results"]
    me = graphql(ME, {"asset": "USDT"})["data"]["me"]
    # then they show the same address and the deposit at 1 of 2 confirmations, not credited
    assert me["depositAddress"] == address
    (row,) = listed
    assert (row["asset"], row["amount"], row["status"]) == ("USDT", "250", "SEEN")
    assert (row["confirmations"], row["required_confirmations"], row["deposit_id"]) == (1, 2, None)
    (edge,) = me["chainDeposits"]["edges"]
    assert edge["node"] == {
        "asset": "USDT",
        "amount": "250",
        "txid": row["txid"],
        "logIndex": row["log_index"],
        "status": "SEEN",
        "confirmations": 1,
        "requiredConfirmations": 2,
    }
    assert not Balance.objects.filter(account__user=alice, available__gt=0).exists()
    # when a block arrives and the watcher credits it
    sim_mine("SIM")
    scan_network(sim)
    # then both show it credited, and the credit is in /deposits
    (row,) = rest.get("/api/v1/chain-deposits").json()["results"]
    assert row["status"] == "CREDITED" and row["deposit_id"] is not None
    assert rest.get("/api/v1/deposits").json()["results"][0]["id"] == row["deposit_id"]
    me = graphql(ME, {"asset": "USDT"})["data"]["me"]
    assert me["chainDeposits"]["edges"][0]["node"]["status"] == "CREDITED"


def test_a_withdrawal_is_paid_and_its_txid_shown_on_rest_and_graphql(
    make_user, client_for, as_user, fund, sim, assets
):
    # given bob with 100 USDT (min 10, fee 1, 2 confirmations)
    bob, operator = make_user(), make_user()
    fund(bob, assets["USDT"], "100")
    rest, graphql = client_for(bob), as_user(bob)
    # when he requests 25 USDT to a valid address; it is approved and paid
    made = rest.post(
        "/api/v1/withdrawals",
        {"asset": "USDT", "amount": "25", "network": "SIM", "address": PAYEE},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert (made.json()["fee"], made.json()["status"], made.json()["txid"]) == ("1", "PENDING", "")
    do_approve_withdrawal(withdrawal_id=made.json()["id"], approved_by=operator)
    pay_network(sim)
    sim_mine("SIM", 2)
    pay_network(sim)
    # then both surfaces show it CONFIRMED with the txid of the payout on chain
    w = Withdrawal.objects.get()
    (listed,) = rest.get("/api/v1/withdrawals").json()["results"]
    assert (listed["status"], listed["txid"], listed["confirmations"]) == ("CONFIRMED", w.txid, 2)
    assert listed["sent_at"] and listed["completed_at"]
    node = graphql(ME, {"asset": "USDT"})["data"]["me"]["withdrawals"]["edges"][0]["node"]
    assert node == {
        "id": str(w.pk),
        "amount": "25",
        "fee": "1",
        "memo": "",
        "status": "CONFIRMED",
        "txid": w.txid,
        "confirmations": 2,
    }


@pytest.mark.parametrize(
    ("amount", "address", "code"),
    [
        ("25", PAYEE[:-1] + ("0" if PAYEE[-1] != "0" else "1"), "INVALID_ADDRESS"),  # checksum
        ("5", PAYEE, "AMOUNT_BELOW_MINIMUM"),
        ("100001", PAYEE, "DAILY_LIMIT_EXCEEDED"),
    ],
)
def test_withdrawals_breaking_the_rules_are_refused_alike_with_nothing_moved(
    make_user, client_for, as_user, fund, sim, assets, amount, address, code
):
    # given carol with 200 000 USDT (daily limit 100 000)
    carol = make_user()
    fund(carol, assets["USDT"], "200000")
    body = {"asset": "USDT", "amount": amount, "network": "SIM", "address": address}
    # when REST and GraphQL are sent the same bad request
    refused = client_for(carol).post("/api/v1/withdrawals", body, format="json")
    answer = as_user(carol)(REQUEST, body)
    # then each refuses with the same code, and nothing is locked or recorded
    assert error(refused)[1] == code
    assert [e["code"] for e in answer["data"]["requestWithdrawal"]["errors"]] == [code]
    assert not Withdrawal.objects.exists()
    held = Balance.objects.get(account__user=carol, asset=assets["USDT"])
    assert (held.available, held.locked) == (Decimal(200000), 0)


REQUEST = """
mutation ($asset: String!, $amount: Decimal!, $network: String!, $address: String!) {
  requestWithdrawal(asset: $asset, amount: $amount, network: $network, address: $address) {
    withdrawal { id }
    errors { code }
  }
}
"""
