"""The deposit watcher on the simulated chain: once, after confirmations, reorg-safe."""

from __future__ import annotations

from decimal import Decimal

from exchange.wallets.addresses import do_get_deposit_address
from exchange.wallets.chains.simchain import sim_address, sim_deposit, sim_mine, sim_reorg
from exchange.wallets.deposit_watch import scan_network
from exchange.wallets.models import (
    Balance,
    ChainCursor,
    ChainTransfer,
    Deposit,
    JournalEntry,
    TransferStatus,
)
from tests.exchange.wallets.conftest import USDT_CONTRACT


def available(user, asset) -> Decimal:
    row = Balance.objects.filter(account__user=user, asset=asset).first()
    return row.available if row else Decimal(0)


def test_a_deposit_is_credited_once_after_its_confirmations_and_not_before(
    simnet, make_user, assets
):
    # given alice's BTC address (3 confirmations) and a transfer to it in block 0
    alice = make_user()
    address = do_get_deposit_address(user=alice, asset=assets["BTC"], network="SIM")
    txid = sim_deposit("SIM", to=address.address, amount=Decimal("0.7"))
    sim_mine("SIM")
    # when the watcher runs at 1 and 2 confirmations
    first = scan_network(simnet)
    sim_mine("SIM")
    second = scan_network(simnet)
    # then it is seen, not credited
    assert [t.txid for t in first.seen] == [txid] and not first.credited and not second.credited
    assert available(alice, assets["BTC"]) == 0
    # when the third block arrives, and the watcher runs again and again
    sim_mine("SIM")
    third = scan_network(simnet)
    fourth = scan_network(simnet)
    # then it is credited exactly once
    assert [t.txid for t in third.credited] == [txid] and not fourth.credited
    assert available(alice, assets["BTC"]) == Decimal("0.7")
    deposit = Deposit.objects.get()
    assert (deposit.network, deposit.txid, deposit.log_index) == ("SIM", txid, 0)
    assert ChainTransfer.objects.get().status == TransferStatus.CREDITED
    assert JournalEntry.objects.filter(reason="DEPOSIT").count() == 1


def test_each_asset_has_its_own_confirmations(simnet, make_user, assets):
    # given a token transfer (2 confirmations) and a coin transfer (3) in the same block
    bob = make_user()
    address = do_get_deposit_address(user=bob, asset=assets["USDT"], network="SIM")
    sim_deposit("SIM", to=address.address, amount=Decimal("25"), contract=USDT_CONTRACT)
    sim_deposit("SIM", to=address.address, amount=Decimal("0.1"))
    sim_mine("SIM", 2)
    # when the watcher runs at 2 confirmations
    result = scan_network(simnet)
    # then only the token is credited
    assert [t.asset.code for t in result.credited] == ["USDT"]
    assert available(bob, assets["USDT"]) == Decimal("25")
    assert available(bob, assets["BTC"]) == 0


def test_a_deposit_reorganised_away_before_credit_is_never_credited(simnet, make_user, assets):
    # given a deposit seen with 2 of its 3 confirmations
    carol = make_user()
    address = do_get_deposit_address(user=carol, asset=assets["BTC"], network="SIM")
    sim_deposit("SIM", to=address.address, amount=Decimal("1"))
    sim_mine("SIM", 2)
    assert scan_network(simnet).seen
    # when its blocks are replaced by ones without it, and the chain grows far past
    sim_reorg("SIM", depth=2)
    orphaned = scan_network(simnet).orphaned
    sim_mine("SIM", 10)
    scan_network(simnet)
    # then it is orphaned and never credited
    assert len(orphaned) == 1
    assert ChainTransfer.objects.get().status == TransferStatus.ORPHANED
    assert not Deposit.objects.exists() and available(carol, assets["BTC"]) == 0


def test_a_deposit_mined_again_after_a_reorg_waits_for_its_new_confirmations(
    simnet, make_user, assets
):
    dave = make_user()
    address = do_get_deposit_address(user=dave, asset=assets["BTC"], network="SIM")
    sim_mine("SIM", 3)
    sim_deposit("SIM", to=address.address, amount=Decimal("1"))
    sim_mine("SIM", 2)
    (seen,) = scan_network(simnet).seen
    # the reorg mines it again in another block 3: two confirmations, not credited
    sim_reorg("SIM", depth=2, drop=False)
    again = scan_network(simnet)
    assert not again.credited and again.seen == again.orphaned
    row = ChainTransfer.objects.get()
    assert row.status == TransferStatus.SEEN and row.block_hash != seen.block_hash
    sim_mine("SIM")
    assert len(scan_network(simnet).credited) == 1
    assert available(dave, assets["BTC"]) == Decimal("1")


def test_a_credited_deposit_reorganised_away_is_flagged_not_kept_silently(
    simnet, make_user, assets
):
    # given a credited deposit
    erin = make_user()
    address = do_get_deposit_address(user=erin, asset=assets["BTC"], network="SIM")
    sim_deposit("SIM", to=address.address, amount=Decimal("1"))
    sim_mine("SIM", 3)
    assert scan_network(simnet).credited
    # when a deeper reorg drops it
    sim_reorg("SIM", depth=3)
    result = scan_network(simnet)
    # then it is flagged for an operator; the credit stays until they decide
    assert len(result.reorged) == 1
    assert ChainTransfer.objects.get().status == TransferStatus.REORGED
    assert Deposit.objects.count() == 1


def test_the_cursor_survives_a_restart_and_strangers_are_ignored(simnet, make_user, assets):
    # given a transfer to an address nobody owns, and the watcher's cursor
    frank = make_user()
    address = do_get_deposit_address(user=frank, asset=assets["BTC"], network="SIM")
    sim_deposit("SIM", to=sim_address("stranger"), amount=Decimal("9"))
    sim_mine("SIM", 5)
    scan_network(simnet)
    assert ChainCursor.objects.get(network=simnet).last_block == 4
    # when more blocks come and a new watcher (fresh objects, as after a restart) runs
    sim_deposit("SIM", to=address.address, amount=Decimal("0.2"))
    sim_mine("SIM", 3)
    result = scan_network(type(simnet).objects.get(pk=simnet.pk))
    # then it resumes from the stored cursor and credits only frank's transfer
    assert ChainCursor.objects.get(network=simnet).last_block == 7
    assert [t.user_id for t in result.credited] == [frank.pk]
    assert ChainTransfer.objects.count() == 1


def test_deposit_addresses_are_allocated_once_per_user_and_network(simnet, make_user, assets):
    gina = make_user()
    first = do_get_deposit_address(user=gina, asset=assets["BTC"], network="sim")
    again = do_get_deposit_address(user=gina, asset=assets["USDT"], network=None)
    assert first.pk == again.pk and first.address.startswith("sim")
