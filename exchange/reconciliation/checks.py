"""Ledger invariants (DESIGN.md, "Deposits, withdrawals ..."), checked from the database.

1. Every journal entry sums to zero per asset.
2. Every holding balance (available, locked) equals the sum of its ledger lines.
3. Per asset: users' available + locked + fee income = deposits - withdrawals
   + adjustments, with deposits and withdrawals taken from their own tables.
4. Every user's locked funds equal what their pending withdrawals and open
   orders hold.
5. No balance is negative.

Sums are computed by the database (GROUP BY) on PostgreSQL, so memory grows
with the number of balances, not of ledger lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction

from exchange.core.money_db import sum_money
from exchange.orders.selectors import open_order_locks
from exchange.reconciliation.futures import futures_violations
from exchange.reconciliation.violation import Violation
from exchange.wallets.carry_forward import carried_forward
from exchange.wallets.models import (
    HOLDING_KINDS,
    Account,
    AccountKind,
    Asset,
    Balance,
    Bucket,
    Deposit,
    LedgerLine,
    Withdrawal,
    WithdrawalStatus,
)

Progress = Callable[[str, int, int], None]
ZERO = Decimal(0)
CHUNK = 2000


@dataclass
class AssetSummary:
    asset: str
    users_available: Decimal = ZERO
    users_locked: Decimal = ZERO
    fee_income: Decimal = ZERO
    deposits: Decimal = ZERO
    withdrawals: Decimal = ZERO
    adjustments: Decimal = ZERO

    @property
    def holdings(self) -> Decimal:
        return self.users_available + self.users_locked + self.fee_income

    @property
    def expected(self) -> Decimal:
        return self.deposits - self.withdrawals + self.adjustments

    @property
    def ok(self) -> bool:
        return self.holdings == self.expected


@dataclass
class Report:
    summaries: list[AssetSummary]
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def _account_names() -> dict[int, str]:
    return {
        account.pk: f"user {account.user.email} (account {account.pk})"
        if account.user_id and account.user
        else account.kind
        for account in Account.objects.select_related("user")
    }


def _unbalanced_entries(assets: dict[int, str]) -> list[Violation]:
    sums = sum_money(LedgerLine.objects.all(), ["entry_id", "asset_id"], "amount")
    return [
        Violation(
            "journal_sums_to_zero",
            f"journal entry {entry_id}",
            assets[asset_id],
            f"lines sum to {total}",
        )
        for (entry_id, asset_id), total in sorted(sums.items())
        if total != 0
    ]


def _ledger_sums() -> dict[tuple[int, int, str], Decimal]:
    """The lines in the database plus the carry-forward of archived months (ADR 0049)."""
    rows = LedgerLine.objects.all()
    sums = sum_money(rows, ["account_id", "asset_id", "bucket"], "amount")
    totals: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    for source in (sums, carried_forward()):
        for key, total in source.items():
            totals[key] += total  # type: ignore[index]
    return dict(totals)


def _holds() -> dict[tuple[int, int], Decimal]:
    """What should be locked, per (account, asset): pending withdrawals plus open orders."""
    pending = Withdrawal.objects.filter(status=WithdrawalStatus.PENDING)
    holds: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for key, total in sum_money(pending, ["user__account__id", "asset_id"], "amount").items():
        holds[key] += total  # type: ignore[index]
    orders = open_order_locks()
    for key, total in sum_money(
        orders, ["user__account__id", "locked_asset_id"], "locked_remaining"
    ).items():
        holds[key] += total  # type: ignore[index]
    return holds


PAID_OUT = (WithdrawalStatus.APPROVED, WithdrawalStatus.SENT, WithdrawalStatus.CONFIRMED)


def reconcile(progress: Progress | None = None) -> Report:
    """Check every invariant on one consistent snapshot of the database."""
    if connection.in_atomic_block:
        return _reconcile(progress)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return _reconcile(progress)


def _reconcile(progress: Progress | None) -> Report:
    assets = dict(Asset.objects.values_list("pk", "code"))
    names = _account_names()
    kinds = dict(Account.objects.values_list("pk", "kind"))
    summaries = {asset_id: AssetSummary(code) for asset_id, code in assets.items()}
    violations = _unbalanced_entries(assets)
    ledger = _ledger_sums()
    locks = _holds()

    seen: set[tuple[int, int, str]] = set()
    total = Balance.objects.count()
    balances = Balance.objects.values_list("pk", "account_id", "asset_id", "available", "locked")
    for done, (_pk, account_id, asset_id, available, locked) in enumerate(
        balances.order_by("pk").iterator(chunk_size=CHUNK), start=1
    ):
        name, code = names[account_id], assets[asset_id]
        for bucket, value in ((Bucket.AVAILABLE.value, available), (Bucket.LOCKED.value, locked)):
            key = (account_id, asset_id, bucket)
            seen.add(key)
            expected = ledger.get(key, ZERO)
            if value != expected:
                violations.append(
                    Violation(
                        "balance_matches_ledger",
                        name,
                        code,
                        f"{bucket} {value} != ledger {expected}",
                    )
                )
            if value < 0:
                violations.append(Violation("non_negative", name, code, f"{bucket} {value} < 0"))
        summary = summaries[asset_id]
        if kinds[account_id] == AccountKind.USER:
            summary.users_available += available
            summary.users_locked += locked
            held = locks.get((account_id, asset_id), ZERO)
            if locked != held:
                violations.append(
                    Violation(
                        "locked_matches_holds", name, code, f"locked {locked} != holds {held}"
                    )
                )
        else:
            summary.fee_income += available + locked
        if progress and (done % CHUNK == 0 or done == total):
            progress("balances", done, total)

    for (account_id, asset_id, bucket), value in ledger.items():
        kind = kinds[account_id]
        if kind in HOLDING_KINDS:
            if (account_id, asset_id, bucket) not in seen and value != 0:
                violations.append(
                    Violation(
                        "balance_matches_ledger",
                        names[account_id],
                        assets[asset_id],
                        f"no balance row but ledger {bucket} sums to {value}",
                    )
                )
        elif kind == AccountKind.ADJUSTMENTS:
            summaries[asset_id].adjustments -= value
    _check_external_totals(summaries, ledger, kinds, assets, violations)
    violations.extend(futures_violations())

    for summary in summaries.values():
        if not summary.ok:
            violations.append(
                Violation(
                    "holdings_match_external_flows",
                    "all accounts",
                    summary.asset,
                    f"holdings {summary.holdings} != deposits - withdrawals + adjustments "
                    f"{summary.expected}",
                )
            )
    return Report(
        summaries=sorted(summaries.values(), key=lambda s: s.asset), violations=violations
    )


def _check_external_totals(
    summaries: dict[int, AssetSummary],
    ledger: dict[tuple[int, int, str], Decimal],
    kinds: dict[int, str],
    assets: dict[int, str],
    violations: list[Violation],
) -> None:
    """Deposits and withdrawals come from their own tables; their ledger accounts must agree."""
    for (asset_id,), total in sum_money(Deposit.objects.all(), ["asset_id"], "amount").items():
        summaries[asset_id].deposits = total
    # Approved, being paid or paid: the funds left, less the fee the exchange kept.
    paid = Withdrawal.objects.filter(status__in=PAID_OUT)
    for (asset_id,), total in sum_money(paid, ["asset_id"], "amount").items():
        summaries[asset_id].withdrawals = total
    for (asset_id,), total in sum_money(paid, ["asset_id"], "fee").items():
        summaries[asset_id].withdrawals -= total
    in_ledger: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for (account_id, asset_id, _bucket), value in ledger.items():
        in_ledger[(kinds[account_id], asset_id)] += value
    for asset_id, summary in summaries.items():
        pairs = (
            (AccountKind.DEPOSITS, summary.deposits, -in_ledger[(AccountKind.DEPOSITS, asset_id)]),
            (
                AccountKind.WITHDRAWALS,
                summary.withdrawals,
                in_ledger[(AccountKind.WITHDRAWALS, asset_id)],
            ),
        )
        for kind, table_total, ledger_total in pairs:
            if table_total != ledger_total:
                violations.append(
                    Violation(
                        "external_matches_records",
                        kind,
                        assets[asset_id],
                        f"records total {table_total} != ledger {ledger_total}",
                    )
                )
