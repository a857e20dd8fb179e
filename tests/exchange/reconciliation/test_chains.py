"""The chains beside the ledger: the difference is exactly the operator's float."""

from __future__ import annotations

from decimal import Decimal

from exchange.reconciliation.chains import chain_holdings
from exchange.wallets.actions import do_approve_withdrawal, do_request_withdrawal
from exchange.wallets.addresses import do_get_deposit_address
from exchange.wallets.chains.simchain import sim_address, sim_deposit, sim_mine
from exchange.wallets.deposit_watch import scan_network
from exchange.wallets.payouts import pay_network
from exchange.wallets.requests import WithdrawalRequest
from tests.exchange.wallets.conftest import fund_hot_wallet, make_simnet


def test_chain_holdings_match_the_ledger_up_to_the_hot_wallet_float(make_user, assets):
    simnet = make_simnet(assets)
    # given a 10 BTC float, a 2 BTC deposit credited and a 1 BTC withdrawal (fee 0.0005) paid
    fund_hot_wallet(simnet, "10")
    user = make_user()
    address = do_get_deposit_address(user=user, asset=assets["BTC"], network="SIM")
    sim_deposit("SIM", to=address.address, amount=Decimal("2"))
    sim_mine("SIM", 3)
    scan_network(simnet)
    w = do_request_withdrawal(
        user=user,
        request=WithdrawalRequest.parse(
            asset=assets["BTC"], amount="1", network="SIM", address=sim_address("out")
        ),
    )
    do_approve_withdrawal(withdrawal_id=w.pk, approved_by=make_user())
    pay_network(simnet)
    sim_mine("SIM", 3)
    pay_network(simnet)
    # when the chains are reconciled
    btc = {row.asset: row for row in chain_holdings()}["BTC"]
    # then the chain holds 12 - 0.9995, the ledger expects 2 - 0.9995: the float differs
    assert (btc.hot_wallet, btc.deposit_addresses) == (Decimal("9.0005"), Decimal("2"))
    assert (btc.credited, btc.paid_out) == (Decimal("2"), Decimal("0.9995"))
    assert btc.difference == Decimal("10")
