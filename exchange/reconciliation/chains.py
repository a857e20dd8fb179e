"""The chains against the ledger: what the exchange's addresses hold on chain, per
network and asset, beside what its ledger says reached and left them.

Expected on chain = credited deposits − payouts sent or confirmed (amount − fee).
The difference is the operator's own float in the hot wallet, plus deposits not yet
credited, minus network fees the hot wallet paid; it is shown, not judged: a
difference that moves without such a reason is for an operator to explain.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from exchange.wallets.chains.registry import adapter_for
from exchange.wallets.models import (
    AssetNetwork,
    Deposit,
    DepositAddress,
    Withdrawal,
    WithdrawalStatus,
)


@dataclass(frozen=True)
class ChainHolding:
    network: str
    asset: str
    hot_wallet: Decimal
    deposit_addresses: Decimal
    credited: Decimal
    paid_out: Decimal

    @property
    def on_chain(self) -> Decimal:
        return self.hot_wallet + self.deposit_addresses

    @property
    def expected(self) -> Decimal:
        return self.credited - self.paid_out

    @property
    def difference(self) -> Decimal:
        return self.on_chain - self.expected


def chain_holdings() -> list[ChainHolding]:
    """One row per asset of every registered network, read from its chain and the ledger."""
    rows = []
    entries = AssetNetwork.objects.select_related("asset", "network").order_by(
        "network__code", "asset__code"
    )
    for entry in entries:
        adapter = adapter_for(entry.network)
        addresses = set(
            DepositAddress.objects.filter(network=entry.network).values_list("address", flat=True)
        )
        addresses.discard(entry.network.hot_address)
        credited = Deposit.objects.filter(network=entry.network.code, asset=entry.asset)
        paid = Withdrawal.objects.filter(
            network=entry.network.code,
            asset=entry.asset,
            status__in=[WithdrawalStatus.SENT, WithdrawalStatus.CONFIRMED],
        )
        rows.append(
            ChainHolding(
                network=entry.network.code,
                asset=entry.asset.code,
                hot_wallet=adapter.hot_balance(contract=entry.contract),
                deposit_addresses=sum(
                    (adapter.balance(address=a, contract=entry.contract) for a in addresses),
                    Decimal(0),
                ),
                credited=sum(credited.values_list("amount", flat=True), Decimal(0)),
                paid_out=sum((w.amount - w.fee for w in paid), Decimal(0)),
            )
        )
    return rows
