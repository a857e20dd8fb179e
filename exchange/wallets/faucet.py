"""Test deposits on the simulated chain: the demo's faucet, so a new trader can try the page.

Only a network served by the simulated chain adapter takes them, so no money can be
made on a real network. The coins travel the path of any deposit: a transaction to
the user's deposit address, mined with the asset's confirmations, credited by one
pass of the deposit watcher (the same pass ``runchainwatch`` makes).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from exchange.accounts.models import User
from exchange.wallets.actions import clean_amount
from exchange.wallets.addresses import access_asset_network, do_get_deposit_address
from exchange.wallets.chains.simchain import sim_deposit, sim_mine
from exchange.wallets.deposit_watch import scan_network
from exchange.wallets.errors import WalletError, WalletErrorCode
from exchange.wallets.models import Asset

SIM_ADAPTER = "sim"
# A test deposit larger than this (or than the asset's daily withdrawal limit, when set)
# is refused: the faucet is for trying the exchange, not for printing balances.
TEST_DEPOSIT_CAP = Decimal(100_000)


@dataclass(frozen=True)
class FaucetDeposit:
    asset: str
    network: str
    amount: Decimal
    address: str
    txid: str
    credited: bool


def do_test_deposit(
    *, user: User, asset: Asset, amount: object, network: str | None
) -> FaucetDeposit:
    """Send ``amount`` from the simulated chain's faucet to the user and credit it."""
    entry = access_asset_network(asset=asset, network=network)
    if entry.network.adapter != SIM_ADAPTER:
        raise WalletError(
            WalletErrorCode.TEST_DEPOSIT_UNAVAILABLE,
            f"Test deposits exist only on the simulated chain, not on {entry.network.code}.",
            fields={"network": "invalid"},
        )
    value = clean_amount(asset, amount)
    cap = min(TEST_DEPOSIT_CAP, entry.daily_limit) if entry.daily_limit else TEST_DEPOSIT_CAP
    if value > cap:
        raise WalletError(
            WalletErrorCode.TEST_DEPOSIT_TOO_LARGE,
            f"A test deposit is at most {cap.normalize():f} {asset.code}.",
            fields={"amount": "too_large"},
        )
    address = do_get_deposit_address(user=user, asset=asset, network=entry.network.code)
    txid = sim_deposit(
        entry.network.code,
        to=address.address,
        amount=value,
        contract=entry.contract,
        memo=address.memo,
    )
    sim_mine(entry.network.code, max(entry.confirmations, 1))
    result = scan_network(entry.network)
    return FaucetDeposit(
        asset=asset.code,
        network=entry.network.code,
        amount=value,
        address=address.address,
        txid=txid,
        credited=any(t.txid == txid for t in result.credited),
    )
