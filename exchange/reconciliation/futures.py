"""Futures invariants (issue 16, item 8), per margin asset, from the database.

1. Every futures wallet equals the sum of its income records.
2. Conservation: wallets − open cost (i.e. wallets plus unrealized PnL, priced at
   any mark, since longs equal shorts) + insurance fund + commissions = transfers
   in − transfers out (the engine's own invariant, docs/futures.md).
3. Zero-sum: realized PnL + funding − open cost + what the insurance fund gained
   other than from liquidation fees and clears (the funding dust) = 0.
4. Longs = shorts per contract.
5. The futures-collateral ledger account holds exactly wallets − open cost + fund,
   plus the transfers in that the engine has not credited yet.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from exchange.core.money_db import sum_money
from exchange.futures.models import (
    Contract,
    FuturesTransfer,
    FuturesWallet,
    Income,
    IncomeType,
    InsuranceFund,
    Position,
    TransferDirection,
    TransferStatus,
)
from exchange.reconciliation.violation import Violation
from exchange.wallets.models import AccountKind, Balance

ZERO = Decimal(0)


def futures_violations() -> list[Violation]:
    violations: list[Violation] = []
    contracts = {c.pk: c for c in Contract.objects.select_related("margin_asset")}
    groups = {c.margin_asset_id: c.margin_asset.code for c in contracts.values()}
    wallets = sum_money(FuturesWallet.objects.all(), ["user_id", "asset_id"], "balance")
    income = sum_money(Income.objects.all(), ["user_id", "asset_id"], "amount")
    for key in sorted(set(wallets) | set(income)):
        if wallets.get(key, ZERO) != income.get(key, ZERO):
            violations.append(
                Violation(
                    "futures_wallet_matches_income",
                    f"user {key[0]}",
                    groups.get(int(str(key[1])), str(key[1])),
                    f"wallet {wallets.get(key, ZERO)} != income {income.get(key, ZERO)}",
                )
            )
    by_type = sum_money(Income.objects.all(), ["asset_id", "income_type"], "amount")
    kinds: dict[tuple[int, str], Decimal] = {
        (int(str(a)), str(t)): v for (a, t), v in by_type.items()
    }
    wallet_total: dict[int, Decimal] = defaultdict(Decimal)
    for (_user_id, asset_id), value in wallets.items():
        wallet_total[int(str(asset_id))] += value
    cost = sum_money(Position.objects.all(), ["contract_id"], "cost")
    size = sum_money(Position.objects.all(), ["contract_id"], "size")
    open_cost: dict[int, Decimal] = defaultdict(Decimal)
    for (contract_id,), value in cost.items():
        open_cost[contracts[int(str(contract_id))].margin_asset_id] += value
    for (contract_id,), value in size.items():
        if value != 0:
            violations.append(
                Violation(
                    "futures_longs_equal_shorts",
                    contracts[int(str(contract_id))].symbol,
                    "",
                    f"net size {value}",
                )
            )
    funds = dict(InsuranceFund.objects.values_list("asset_id", "balance"))
    transfers = sum_money(
        FuturesTransfer.objects.all(), ["asset_id", "direction", "status"], "amount"
    )
    moved: dict[tuple[int, str, str], Decimal] = {
        (int(str(a)), str(d), str(s)): v for (a, d, s), v in transfers.items()
    }
    collateral = dict(
        Balance.objects.filter(account__kind=AccountKind.FUTURES_COLLATERAL).values_list(
            "asset_id", "available"
        )
    )
    for asset_id, code in sorted(groups.items()):
        fund = funds.get(asset_id, ZERO)
        fees = -kinds.get((asset_id, IncomeType.COMMISSION), ZERO)
        held = wallet_total.get(asset_id, ZERO) - open_cost[asset_id] + fund
        t_in = moved.get((asset_id, TransferDirection.IN, TransferStatus.DONE), ZERO)
        t_out = moved.get((asset_id, TransferDirection.OUT, TransferStatus.DONE), ZERO)
        if held + fees != t_in - t_out:
            violations.append(
                Violation(
                    "futures_conservation",
                    "futures",
                    code,
                    f"wallets - open cost + fund {held} + fees {fees} != "
                    f"transfers in - out {t_in - t_out}",
                )
            )
        pnl = kinds.get((asset_id, IncomeType.REALIZED_PNL), ZERO)
        funding = kinds.get((asset_id, IncomeType.FUNDING_FEE), ZERO)
        dust = (
            fund
            + kinds.get((asset_id, IncomeType.LIQUIDATION_FEE), ZERO)
            + kinds.get((asset_id, IncomeType.INSURANCE_CLEAR), ZERO)
        )
        if pnl + funding - open_cost[asset_id] + dust != 0:
            violations.append(
                Violation(
                    "futures_pnl_sums_to_zero",
                    "futures",
                    code,
                    f"realized {pnl} + funding {funding} - open cost {open_cost[asset_id]} "
                    f"+ funding dust {dust} != 0",
                )
            )
        pending_in = moved.get((asset_id, TransferDirection.IN, TransferStatus.PENDING), ZERO)
        if collateral.get(asset_id, ZERO) != held + pending_in:
            violations.append(
                Violation(
                    "futures_collateral_matches_ledger",
                    AccountKind.FUTURES_COLLATERAL,
                    code,
                    f"ledger {collateral.get(asset_id, ZERO)} != wallets - open cost + fund "
                    f"{held} + pending transfers in {pending_in}",
                )
            )
    return violations
