"""ERC-20 deposits, a payout and a sweep on an in-process EVM, end to end (docs/wallets.md).

Run with the dev dependencies installed, on a migrated database:

    EVM_HD_MNEMONIC="test test test test test test test test test test test junk" \
    EVM_RPC_URLS="ETH=eth-tester://walkthrough" \
    .venv/bin/python manage.py shell < docs/examples/evm_token_walkthrough.py

It deploys our test token (contracts/TestToken.sol, 6 decimals), lists it as asset
DEMOUSD on network ETH, and runs the real watcher, payout pass and sweep.
"""

import json
import uuid
from decimal import Decimal
from pathlib import Path

from exchange.accounts.models import User
from exchange.wallets.actions import do_approve_withdrawal, do_request_withdrawal
from exchange.wallets.addresses import do_get_deposit_address
from exchange.wallets.chains.evm import derive_account, to_wei
from exchange.wallets.chains.evm_units import to_units
from exchange.wallets.chains.registry import adapter_for
from exchange.wallets.deposit_watch import scan_network
from exchange.wallets.models import Asset, AssetNetwork, Network
from exchange.wallets.payouts import pay_network
from exchange.wallets.requests import WithdrawalRequest
from exchange.wallets.sweeps import sweep_network

artifact = json.loads(Path("tests/exchange/wallets/chains/test_token.json").read_text())
network, _ = Network.objects.update_or_create(
    code="ETH",
    defaults={"name": "Ethereum", "adapter": "evm", "hot_address": derive_account(0).address},
)
evm = adapter_for(network)
w3, faucet = evm.w3, evm.w3.eth.accounts[0]  # eth-tester's funded account
factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
receipt = w3.eth.wait_for_transaction_receipt(
    factory.constructor("Demo USD", "DEMOUSD", 6, 10**15).transact({"from": faucet})
)
token = w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
asset, _ = Asset.objects.get_or_create(
    code="DEMOUSD", defaults={"name": "Demo USD", "precision": 6}
)
AssetNetwork.objects.filter(network=network, asset=asset).delete()
AssetNetwork.objects.create(
    asset=asset,
    network=network,
    contract=token.address,
    decimals=6,
    confirmations=2,
    withdraw_min=Decimal(5),
    withdraw_fee=Decimal(1),
)
user = User.objects.create_user(email=f"{uuid.uuid4().hex[:8]}@example.com", password="x" * 12)
address = do_get_deposit_address(user=user, asset=asset, network="ETH").address
print("deposit address", address)

# 125.5 DEMOUSD arrive; credited at the second confirmation
token.functions.transfer(address, to_units(Decimal("125.5"), 6)).transact({"from": faucet})
print("1 confirmation: credited", len(scan_network(network).credited))
w3.provider.ethereum_tester.mine_blocks(1)
print("2 confirmations: credited", len(scan_network(network).credited))

# the sweep tops up gas, then moves the tokens to the hot wallet
w3.eth.send_transaction({"from": faucet, "to": network.hot_address, "value": to_wei(Decimal(1))})
for _ in range(3):
    print("sweep pass", sweep_network(network))
    w3.provider.ethereum_tester.mine_blocks(1)
print("hot wallet DEMOUSD", evm.hot_balance(contract=token.address))

# a 50 DEMOUSD withdrawal, approved and paid: the payee receives 49 (fee 1)
payee = "0x000000000000000000000000000000000000bEEF"
w = do_request_withdrawal(
    user=user,
    request=WithdrawalRequest.parse(asset=asset, amount="50", network="ETH", address=payee),
)
do_approve_withdrawal(withdrawal_id=w.pk, approved_by=user)  # an operator, in real life
print("payout", pay_network(network))
w3.provider.ethereum_tester.mine_blocks(1)
print("payout", pay_network(network))
w.refresh_from_db()
print(w.status, w.txid, "payee has", evm.balance(address=payee, contract=token.address))
