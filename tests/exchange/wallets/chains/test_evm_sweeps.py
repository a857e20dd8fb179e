"""Sweeping deposit addresses into the hot wallet on the in-process EVM: a token sweep
with its gas top-up, an ether sweep, and what waits."""

from __future__ import annotations

from decimal import Decimal

from exchange.audit.models import AuditAction, AuditRecord
from exchange.wallets.addresses import do_get_deposit_address
from exchange.wallets.deposit_watch import scan_network
from exchange.wallets.models import AccountNonce, Sweep, SweepStatus
from exchange.wallets.sweeps import sweep_network
from exchange.wallets.tasks import sweep_deposit_addresses
from tests.exchange.wallets.chains.conftest import mine, send_from_faucet, send_tokens


def test_a_token_deposit_is_swept_after_a_gas_top_up(evm, evmnet, usdc, make_user):
    # given alice's address holding 40 USDC, credited, and no ether; a hot wallet with ether
    send_from_faucet(evm, evmnet.hot_address, "1")
    alice = make_user()
    address = do_get_deposit_address(user=alice, asset=usdc.asset, network="ETH")
    send_tokens(evm, usdc, address.address, "40")
    mine(evm, 1)
    assert scan_network(evmnet).credited
    # when the scheduled task runs (eth-tester mines each transaction at once)
    assert sweep_deposit_addresses() == 1
    # then the hot wallet sent the address the most the token transfer may cost in gas
    sweep = Sweep.objects.get()
    assert sweep.status == SweepStatus.GAS_SENT and sweep.amount == Decimal("40")
    assert 0 < sweep.gas_amount == evm.balance(address=address.address, contract="")
    # when the next passes run, with the sweep's confirmations (USDC: 2) in between
    second = sweep_network(evmnet)
    mine(evm, 1)
    third = sweep_network(evmnet)
    # then the 40 USDC moved to the hot wallet once, and the sweep is CONFIRMED
    sweep.refresh_from_db()
    assert second.sent == [sweep.pk] and third.confirmed == [sweep.pk]
    assert sweep.status == SweepStatus.CONFIRMED and sweep.txid
    assert evm.hot_balance(contract=usdc.contract) == Decimal("40")
    assert evm.balance(address=address.address, contract=usdc.contract) == 0
    # and each step is in the audit log; the hot wallet's top-up took nonce 0
    audited = AuditRecord.objects.filter(action=AuditAction.CHAIN_SWEEP, target_id=str(sweep.pk))
    assert [r.after["status"] for r in audited.order_by("pk")] == ["GAS_SENT", "SENT", "CONFIRMED"]
    hot = AccountNonce.objects.get(network=evmnet, address=evmnet.hot_address.lower())
    assert hot.next_nonce == 1
    # and an emptied address starts no new sweep
    assert sweep_network(evmnet) == type(third)()


def test_ether_is_swept_less_its_gas_and_a_confirming_deposit_waits(evm, evmnet, make_user):
    # given bob's address with 2 ETH credited, and carol's with 3 ETH still confirming
    bob, carol = make_user(), make_user()
    eth = evmnet.assets.get().asset
    bobs = do_get_deposit_address(user=bob, asset=eth, network="ETH").address
    send_from_faucet(evm, bobs, "2")
    mine(evm, 2)
    carols = do_get_deposit_address(user=carol, asset=eth, network="ETH").address
    send_from_faucet(evm, carols, "3")
    scan_network(evmnet)
    # when a sweep pass runs
    result = sweep_network(evmnet)
    # then only bob's ether moved: all of it but the gas reserved for the transfer
    (sweep,) = Sweep.objects.all()
    assert result.sent == [sweep.pk] and sweep.deposit_address.address == bobs
    assert Decimal("1.999") < sweep.amount < Decimal(2)
    assert evm.hot_balance(contract="") == sweep.amount
    left = evm.balance(address=bobs, contract="")
    assert left == Decimal(2) - sweep.amount - evm.network_fee(sweep.txid) >= 0
    assert evm.balance(address=carols, contract="") == Decimal(3)
