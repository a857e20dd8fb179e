"""ERC-20 deposits and payouts through the EVM adapter, on our own 6-decimals test token."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.reconciliation.checks import reconcile
from exchange.wallets.actions import do_approve_withdrawal, do_request_withdrawal
from exchange.wallets.addresses import do_get_deposit_address
from exchange.wallets.chains.evm_tokens import TOKEN_TRANSFER_GAS
from exchange.wallets.chains.evm_units import from_units, to_units
from exchange.wallets.deposit_watch import scan_network
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import (
    AssetNetwork,
    Balance,
    ChainTransfer,
    Deposit,
    TransferStatus,
    Withdrawal,
    WithdrawalStatus,
)
from exchange.wallets.payouts import pay_network
from exchange.wallets.requests import WithdrawalRequest
from tests.exchange.wallets.chains.conftest import (
    PAYEE,
    deploy_token,
    mine,
    send_from_faucet,
    send_tokens,
)


def available(user, asset) -> Decimal:
    row = Balance.objects.filter(account__user=user, asset=asset).first()
    return row.available if row else Decimal(0)


def test_units_convert_exactly_both_ways():
    assert to_units(Decimal("12.345678"), 6) == 12_345_678
    assert from_units(12_345_678, 6) == Decimal("12.345678")
    assert from_units(2**256 - 1, 18) * 10**18 == 2**256 - 1  # no rounding at uint256's size
    assert to_units(Decimal("7"), 0) == 7
    with pytest.raises(ValueError, match="finer"):
        to_units(Decimal("0.0000001"), 6)


def test_a_token_deposit_is_credited_once_after_its_confirmations(evm, evmnet, usdc, make_user):
    # given alice's ETH address (shared by the network's tokens) receiving 12.345678 USDC
    alice = make_user()
    address = do_get_deposit_address(user=alice, asset=usdc.asset, network="ETH").address
    txid = send_tokens(evm, usdc, address, "12.345678")
    # when the watcher runs at 1 confirmation (USDC needs 2)
    first = scan_network(evmnet)
    # then the transfer is seen with its log index, not credited
    (seen,) = first.seen
    assert (seen.txid, seen.asset_id, seen.amount) == (txid, usdc.asset_id, Decimal("12.345678"))
    receipt = evm.w3.eth.get_transaction_receipt(txid)
    assert seen.log_index == receipt["logs"][0]["logIndex"]
    assert not first.credited and available(alice, usdc.asset) == 0
    # when the second confirmation arrives and the watcher runs twice
    mine(evm, 1)
    second = scan_network(evmnet)
    third = scan_network(evmnet)
    # then it is credited exactly once, to the unit
    assert [t.txid for t in second.credited] == [txid] and not third.credited
    assert available(alice, usdc.asset) == Decimal("12.345678")
    assert Deposit.objects.get().log_index == seen.log_index
    assert evm.balance(address=address, contract=usdc.contract) == Decimal("12.345678")


def test_a_token_of_another_contract_is_not_credited(evm, evmnet, usdc, make_user):
    # given a token we do not list, with the same symbol, sent to alice's address
    alice = make_user()
    address = do_get_deposit_address(user=alice, asset=usdc.asset, network="ETH").address
    fake = AssetNetwork(contract=deploy_token(evm.w3, symbol="USDC", decimals=6, supply=10**9))
    fake.decimals = 6
    send_tokens(evm, fake, address, "100")
    mine(evm, 3)
    # when the watcher runs, then nothing is seen or credited
    result = scan_network(evmnet)
    assert not result.seen and not ChainTransfer.objects.exists()
    assert available(alice, usdc.asset) == 0


def test_ether_finer_than_the_asset_precision_is_rounded_down_or_dust(evm, evmnet, make_user):
    # given alice's address receiving 1 wei and 0.123456789 ETH (the ETH asset has 8 places)
    alice = make_user()
    address = do_get_deposit_address(user=alice, asset=evmnet.assets.get().asset, network="ETH")
    send_from_faucet(evm, address.address, "0.000000000000000001")
    send_from_faucet(evm, address.address, "0.123456789")
    mine(evm, 3)
    # when the watcher runs, then the wei is DUST and the other is credited to 8 places
    scan_network(evmnet)
    statuses = sorted(ChainTransfer.objects.values_list("status", flat=True))
    assert statuses == [TransferStatus.CREDITED, TransferStatus.DUST]
    assert Deposit.objects.get().amount == Decimal("0.12345678")


def test_a_token_payout_sends_amount_less_fee_in_token_units(evm, evmnet, usdc, make_user, fund):
    # given a hot wallet with 1 ETH for gas and 500 USDC, and a 20.5 USDC withdrawal (fee 1)
    send_from_faucet(evm, evmnet.hot_address, "1")
    send_tokens(evm, usdc, evmnet.hot_address, "500")
    user, operator = make_user(), make_user()
    fund(user, usdc.asset, "30")
    w = do_request_withdrawal(
        user=user,
        request=WithdrawalRequest.parse(
            asset=usdc.asset, amount="20.5", network="ETH", address=PAYEE
        ),
    )
    do_approve_withdrawal(withdrawal_id=w.pk, approved_by=operator)
    estimate = evm.estimate_fee(contract=usdc.contract, amount=Decimal("19.5"))
    # when the payout pass runs and the transaction gets its 2 confirmations
    sent = pay_network(evmnet)
    mine(evm, 1)
    done = pay_network(evmnet)
    # then the payee got exactly 19.5 USDC (19 500 000 units) from one transfer() call
    w.refresh_from_db()
    assert sent.sent == [w.pk] and done.confirmed == [w.pk]
    assert w.status == WithdrawalStatus.CONFIRMED
    tx = evm.w3.eth.get_transaction(w.txid)
    assert tx["to"].lower() == usdc.contract.lower() and tx["value"] == 0
    assert tx["gas"] == TOKEN_TRANSFER_GAS
    assert evm.balance(address=PAYEE, contract=usdc.contract) == Decimal("19.5")
    assert evm.hot_balance(contract=usdc.contract) == Decimal("480.5")
    assert 0 < evm.network_fee(w.txid) <= estimate
    assert reconcile().ok


def test_a_withdrawal_finer_than_the_token_unit_is_refused(evm, evmnet, usdc, make_user, fund):
    # given USDC listed with 8 places but moving in units of 10^-6
    user = make_user()
    fund(user, usdc.asset, "30")
    # when a withdrawal of 10.0000001 is requested, then it is refused and nothing moves
    with pytest.raises(WalletError) as error:
        do_request_withdrawal(
            user=user,
            request=WithdrawalRequest.parse(
                asset=usdc.asset, amount="10.0000001", network="ETH", address=PAYEE
            ),
        )
    assert error.value.code == WalletErrorCode.AMOUNT_PRECISION
    assert not Withdrawal.objects.exists() and available(user, usdc.asset) == Decimal("30")


def test_decimals_that_disagree_with_the_contract_are_refused(evm, evmnet, usdc):
    # given USDC configured with 18 decimals while its contract has 6
    AssetNetwork.objects.filter(pk=usdc.pk).update(decimals=18)
    fresh = type(evm)(evmnet)
    # when its balance is read, then the adapter refuses instead of misreading amounts
    with pytest.raises(WalletError, match="6"):
        fresh.balance(address=PAYEE, contract=usdc.contract)
