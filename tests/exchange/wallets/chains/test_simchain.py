"""The simulated chain: addresses with a checksum, blocks, reorgs, signed payouts."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from exchange.wallets.chains.base import TxState
from exchange.wallets.chains.simchain import sim_address, sim_deposit, sim_mine, sim_reorg
from exchange.wallets.models import SimTx
from tests.exchange.wallets.conftest import fund_hot_wallet


def test_addresses_carry_a_checksum(chain):
    # given an address the adapter allocated
    address, memo = chain.allocate_address(user_id=7)
    # then it is valid, stable per user, and one changed digit breaks it
    assert memo == "" and chain.validate_address(address, "")
    assert chain.allocate_address(user_id=7) == (address, "")
    assert chain.allocate_address(user_id=8)[0] != address
    typo = address[:10] + ("0" if address[10] != "0" else "1") + address[11:]
    assert not chain.validate_address(typo, "")
    assert not chain.validate_address("0x" + address[3:], "")


def test_memo_networks_share_the_hot_address_and_tell_users_apart_by_memo(simnet, chain):
    # given a network that needs memos
    simnet.memo_required = True
    simnet.save()
    # then every user gets the hot address with their own memo, and a memo is required there
    assert chain.allocate_address(user_id=5) == (simnet.hot_address, "5")
    assert not chain.validate_address(simnet.hot_address, "")
    assert chain.validate_address(simnet.hot_address, "12")


def test_transfers_are_seen_with_their_block_and_vanish_in_a_reorg(chain, simnet):
    # given a deposit mined in block 0, then two more blocks
    to = sim_address("someone")
    txid = sim_deposit("SIM", to=to, amount=Decimal("1.5"))
    assert chain.status(txid).state == TxState.PENDING
    sim_mine("SIM", 3)
    (seen,) = chain.incoming(from_block=0, to_block=chain.head(), addresses={to})
    assert (seen.txid, seen.block_number, seen.amount) == (txid, 0, Decimal("1.5"))
    assert seen.block_hash == chain.block_hash(0)
    assert chain.status(txid).confirmations == 3
    # when the whole chain is replaced (the transfer dropped)
    sim_reorg("SIM", depth=3)
    # then the height is the same, the hashes differ and the transfer is gone
    assert chain.head() == 2 and chain.block_hash(0) != seen.block_hash
    assert chain.incoming(from_block=0, to_block=2, addresses={to}) == []
    assert chain.status(txid).state == TxState.UNKNOWN


def test_a_reorg_that_keeps_transactions_mines_them_again(chain):
    to = sim_address("keeper")
    txid = sim_deposit("SIM", to=to, amount=Decimal("2"))
    sim_mine("SIM", 2)
    sim_reorg("SIM", depth=2, drop=False)
    (seen,) = chain.incoming(from_block=0, to_block=chain.head(), addresses={to})
    assert seen.txid == txid and seen.block_hash == chain.block_hash(0)


def test_a_signed_payout_is_broadcast_once_however_often_it_is_sent(chain, simnet):
    # given a funded hot wallet and a signed payout
    fund_hot_wallet(simnet, "5")
    to = sim_address("payee")
    signed = chain.sign_payout(
        reference="withdrawal:1", contract="", to=to, memo="", amount=Decimal("1")
    )
    assert chain.status(signed.txid).state == TxState.UNKNOWN
    # when it is broadcast three times and mined
    for _ in range(3):
        chain.broadcast(signed.raw)
    sim_mine("SIM")
    # then the chain holds one transfer, and the hot wallet paid once
    assert SimTx.objects.filter(txid=signed.txid).count() == 1
    assert chain.status(signed.txid).state == TxState.MINED
    assert chain.hot_balance(contract="") == Decimal("4")


def test_a_forged_payout_is_refused_and_an_uncovered_one_fails(chain, simnet):
    to = sim_address("payee")
    signed = chain.sign_payout(
        reference="withdrawal:2", contract="", to=to, memo="", amount=Decimal("1")
    )
    envelope = json.loads(signed.raw)
    envelope["tx"] = envelope["tx"].replace('"amount": "1"', '"amount": "100"')
    with pytest.raises(ValueError, match="bad signature"):
        chain.broadcast(json.dumps(envelope))
    # the hot wallet is empty: the payout is mined as failed
    chain.broadcast(signed.raw)
    sim_mine("SIM")
    assert chain.status(signed.txid).state == TxState.FAILED
    assert chain.hot_balance(contract="") == 0
