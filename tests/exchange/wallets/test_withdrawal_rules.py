"""Withdrawals on a registered network: address, minimum, daily limit, whitelist, fee."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.wallets.actions import do_reject_withdrawal, do_request_withdrawal
from exchange.wallets.chains.simchain import sim_address
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import (
    AddressBookEntry,
    AssetNetwork,
    Balance,
    JournalEntry,
    Withdrawal,
)
from exchange.wallets.requests import WithdrawalRequest

GOOD = sim_address("good")


@pytest.fixture
def user(simnet, make_user, assets, fund):
    user = make_user()
    fund(user, assets["BTC"], "5")
    return user


def request(user, asset, amount="1", address=GOOD, network="SIM"):
    return do_request_withdrawal(
        user=user,
        request=WithdrawalRequest.parse(
            asset=asset, amount=amount, network=network, address=address
        ),
    )


def assert_refused(code, call) -> None:
    entries = JournalEntry.objects.count()
    with pytest.raises(WalletError) as refused:
        call()
    assert refused.value.code == code
    assert JournalEntry.objects.count() == entries and not Withdrawal.objects.exists()


def test_a_valid_request_records_the_fee_and_the_network_code(user, assets):
    w = request(user, assets["BTC"], "1", network="sim")
    assert (w.network, w.fee) == ("SIM", Decimal("0.0005"))
    row = Balance.objects.get(account__user=user, asset=assets["BTC"])
    assert (row.available, row.locked) == (Decimal("4"), Decimal("1"))


def test_an_address_with_a_bad_checksum_is_refused(user, assets):
    typo = GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1")
    assert_refused(
        WalletErrorCode.INVALID_ADDRESS, lambda: request(user, assets["BTC"], address=typo)
    )


@pytest.mark.parametrize("amount", ["0.0009", "0.0005"])
def test_an_amount_below_the_minimum_or_not_above_the_fee_is_refused(user, assets, amount):
    assert_refused(
        WalletErrorCode.AMOUNT_BELOW_MINIMUM, lambda: request(user, assets["BTC"], amount)
    )


def test_the_daily_limit_counts_the_last_24_hours_but_not_refused_requests(user, assets):
    # given 1.5 of the 2 BTC daily limit used, and a rejected request that does not count
    first = request(user, assets["BTC"], "1.5")
    rejected = request(user, assets["BTC"], "0.4")
    do_reject_withdrawal(withdrawal_id=rejected.pk, rejected_by=user)
    # then 0.5 more passes and anything more is refused, nothing moved
    request(user, assets["BTC"], "0.5")
    entries = JournalEntry.objects.count()
    with pytest.raises(WalletError) as refused:
        request(user, assets["BTC"], "0.001")
    assert refused.value.code == WalletErrorCode.DAILY_LIMIT_EXCEEDED
    assert JournalEntry.objects.count() == entries and Withdrawal.objects.count() == 3
    assert first.amount == Decimal("1.5")


def test_with_an_address_book_only_saved_addresses_are_allowed(user, assets, simnet):
    AddressBookEntry.objects.create(user=user, network=simnet, address=GOOD, label="cold")
    assert_refused(
        WalletErrorCode.ADDRESS_NOT_WHITELISTED,
        lambda: request(user, assets["BTC"], address=sim_address("other")),
    )
    assert request(user, assets["BTC"]).address == GOOD


def test_suspended_withdrawals_are_refused(user, assets):
    AssetNetwork.objects.filter(asset=assets["BTC"]).update(withdraw_enabled=False)
    assert_refused(WalletErrorCode.WITHDRAW_DISABLED, lambda: request(user, assets["BTC"]))


def test_a_network_not_in_the_registry_keeps_the_manual_rules(user, assets):
    w = request(user, assets["BTC"], "0.0001", address="bc1q", network="BTC")
    assert (w.network, w.fee) == ("BTC", 0)
