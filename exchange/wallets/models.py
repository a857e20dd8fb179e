"""Assets, accounts, balances and the double-entry ledger.

Every balance change is a ``JournalEntry`` whose ``LedgerLine`` amounts sum to
zero per asset. Holding accounts (users, fee income) have a ``Balance`` row
per asset kept equal to the sum of their ledger lines; external accounts
(deposits, withdrawals, adjustments) exist only in the ledger, as the
outside world's side of each entry, so their ledger sums may be negative.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from exchange.core.money_db import MoneyField


class Asset(models.Model):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=64)
    precision = models.PositiveSmallIntegerField(
        help_text="Decimal places allowed in amounts of this asset (at most 18)."
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["code"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=Q(precision__lte=18), name="asset_precision_lte_18"),
        ]

    def __str__(self) -> str:
        return self.code


class AccountKind(models.TextChoices):
    USER = "USER", "User"
    FEE_INCOME = "FEE_INCOME", "Fee income"
    DEPOSITS = "DEPOSITS", "Deposits clearing (external)"
    WITHDRAWALS = "WITHDRAWALS", "Withdrawals clearing (external)"
    ADJUSTMENTS = "ADJUSTMENTS", "Admin adjustments (external)"
    FUTURES_COLLATERAL = "FUTURES", "Futures collateral (held for futures wallets)"


HOLDING_KINDS = frozenset(
    {AccountKind.USER, AccountKind.FEE_INCOME, AccountKind.FUTURES_COLLATERAL}
)
EXTERNAL_KINDS = frozenset({AccountKind.DEPOSITS, AccountKind.WITHDRAWALS, AccountKind.ADJUSTMENTS})


class Account(models.Model):
    """A ledger account: one per user, and one per system kind."""

    kind = models.CharField(max_length=16, choices=AccountKind.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="account",
    )

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=(Q(kind=AccountKind.USER) & Q(user__isnull=False))
                | (~Q(kind=AccountKind.USER) & Q(user__isnull=True)),
                name="account_user_iff_user_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=~Q(kind=AccountKind.USER),
                name="one_account_per_system_kind",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user) if self.user_id else self.get_kind_display()

    @property
    def is_holding(self) -> bool:
        return self.kind in HOLDING_KINDS


class Balance(models.Model):
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="balances")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    available = MoneyField(default=0)
    locked = MoneyField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["account", "asset"], name="one_balance_per_account_asset"
            ),
            models.CheckConstraint(condition=Q(available__gte=0), name="balance_available_gte_0"),
            models.CheckConstraint(condition=Q(locked__gte=0), name="balance_locked_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.asset}: {self.available} + {self.locked} locked"


class Bucket(models.TextChoices):
    AVAILABLE = "available"
    LOCKED = "locked"


class JournalReason(models.TextChoices):
    DEPOSIT = "DEPOSIT"
    WITHDRAWAL_REQUEST = "WITHDRAWAL_REQUEST"
    WITHDRAWAL_APPROVE = "WITHDRAWAL_APPROVE"
    WITHDRAWAL_REJECT = "WITHDRAWAL_REJECT"
    WITHDRAWAL_CANCEL = "WITHDRAWAL_CANCEL"
    ADJUSTMENT = "ADJUSTMENT"
    WITHDRAWAL_FAIL = "WITHDRAWAL_FAIL"
    ORDER_LOCK = "ORDER_LOCK"
    SETTLEMENT = "SETTLEMENT"
    FUTURES_TRANSFER = "FUTURES_TRANSFER"
    FUTURES_FEES = "FUTURES_FEES"


class JournalEntry(models.Model):
    reason = models.CharField(max_length=32, choices=JournalReason.choices)
    reference = models.CharField(max_length=128, help_text="What caused it: 'deposit:12', ...")
    memo = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name_plural = "journal entries"
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["reference"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.reason} {self.reference}"


class LedgerLine(models.Model):
    # Every order writes two lines, so each index costs order entry two insertions:
    # none on ``account`` (the (account, asset, bucket) index starts with it) nor on
    # ``asset`` (no query filters lines by asset alone; only a PROTECT check on
    # deleting an asset would read it). No database FK constraint on ``asset``: its
    # check locked the same asset row FOR KEY SHARE from every order (ADR 0011); each
    # writer takes the asset from a balance row or market it holds.
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="ledger_lines", db_index=False
    )
    asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    bucket = models.CharField(max_length=9, choices=Bucket.choices, default=Bucket.AVAILABLE)
    amount = MoneyField()
    # Its entry's time, copied: the month partition key on PostgreSQL (ADR 0049).
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["account", "asset", "bucket"])
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.asset} {self.bucket} {self.amount:+}"


class CarryForward(models.Model):
    """The sum of one archived month's ledger lines per (account, asset, bucket).

    Written in the transaction that archives the month's lines (ADR 0049), so the
    remaining lines plus every carry-forward still sum to each Balance row;
    removed, after a check against the lines, when the month is restored.
    """

    month = models.CharField(max_length=7, help_text="The archived month: YYYY-MM.")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    bucket = models.CharField(max_length=9, choices=Bucket.choices)
    amount = MoneyField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["month", "account", "asset", "bucket"], name="carry_forward_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.account} {self.asset} {self.bucket} {self.amount:+}"


class Deposit(models.Model):
    """An on-chain (or other network) credit, unique by network, txid and log index.

    The log index tells apart the transfers of one transaction (an ERC-20
    ``Transfer`` event each); a network without them uses 0.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deposits"
    )
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    amount = MoneyField()
    network = models.CharField(max_length=32)
    txid = models.CharField(max_length=128)
    log_index = models.PositiveIntegerField(default=0)
    # By id, without a database key: an archived month's entries leave the
    # database while the deposit stays (ADR 0050); read it with_journal_reference.
    entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, related_name="deposit", db_constraint=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["network", "txid", "log_index"], name="deposit_unique_network_txid_log"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.asset} to {self.user} ({self.network}:{self.txid})"


class WithdrawalStatus(models.TextChoices):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    CANCELED = "CANCELED"
    SENT = "SENT"
    CONFIRMED = "CONFIRMED"
    FAILED = "FAILED"


class Withdrawal(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="withdrawals"
    )
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    amount = MoneyField()
    network = models.CharField(max_length=32)
    address = models.CharField(max_length=128)
    memo = models.CharField(max_length=64, blank=True, default="")
    fee = MoneyField(
        default=0, help_text="Kept by the exchange; the address receives amount - fee."
    )
    status = models.CharField(
        max_length=9, choices=WithdrawalStatus.choices, default=WithdrawalStatus.PENDING
    )
    # A payout's signed transaction is stored (with its txid) before it is broadcast,
    # so a crash at any point rebroadcasts the same transaction instead of paying twice.
    txid = models.CharField(max_length=128, blank=True, default="")
    signed_tx = models.TextField(blank=True, default="")
    confirmations = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True, default="")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="withdrawal_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(fee__gte=0) & Q(fee__lt=F("amount")), name="withdrawal_fee_lt_amount"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.amount} {self.asset} from {self.user} ({self.status})"


class Adjustment(models.Model):
    """An operator's manual credit or debit, posted at most once per idempotency key.

    The key comes from the form the operator submitted, so a browser retry or a
    double click finds the first adjustment instead of posting a second one.
    """

    idempotency_key = models.UUIDField(unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="adjustments"
    )
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    amount = MoneyField(help_text="Positive credits, negative debits the available balance.")
    reason = models.TextField()
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # By id, without a database key, as a deposit's (ADR 0050).
    entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, related_name="adjustment", db_constraint=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=~Q(amount=0), name="adjustment_amount_not_0"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+} {self.asset} to {self.user} by {self.adjusted_by}"


class Network(models.Model):
    """A blockchain the exchange sends and receives on, served by one chain adapter."""

    code = models.CharField(max_length=32, unique=True, help_text="As Binance names it: ETH, BSC…")
    name = models.CharField(max_length=64)
    adapter = models.CharField(max_length=16, help_text="Key in exchange.wallets.chains.registry.")
    memo_required = models.BooleanField(
        default=False, help_text="Deposits share one address and tell users apart by memo."
    )
    hot_address = models.CharField(max_length=128, help_text="Where payouts are sent from.")

    class Meta:
        ordering: ClassVar[list[str]] = ["code"]

    def __str__(self) -> str:
        return self.code


class AssetNetwork(models.Model):
    """An asset on a network: its token contract (blank for the native coin) and its rules."""

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="networks")
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="assets")
    contract = models.CharField(max_length=128, blank=True, default="")
    decimals = models.PositiveSmallIntegerField(
        default=18,
        help_text="The token's (or coin's) smallest unit is 10^-decimals: 6 for USDT, 18 for"
        " ether. Checked against the contract's decimals() before use.",
    )
    confirmations = models.PositiveIntegerField(default=12)
    deposit_enabled = models.BooleanField(default=True)
    withdraw_enabled = models.BooleanField(default=True)
    withdraw_min = MoneyField(default=0)
    withdraw_fee = MoneyField(default=0)
    daily_limit = MoneyField(
        default=0, help_text="Most one user may withdraw in 24 hours; 0 means no limit."
    )

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["asset", "network"], name="one_asset_per_network"),
            models.UniqueConstraint(
                fields=["network", "contract"], name="one_contract_per_network"
            ),
            models.CheckConstraint(condition=Q(withdraw_fee__gte=0), name="assetnet_fee_gte_0"),
            models.CheckConstraint(condition=Q(withdraw_min__gte=0), name="assetnet_min_gte_0"),
            models.CheckConstraint(condition=Q(daily_limit__gte=0), name="assetnet_limit_gte_0"),
            # Money columns hold 18 decimal places: a finer unit could not be stored.
            models.CheckConstraint(condition=Q(decimals__lte=18), name="assetnet_decimals_lte_18"),
        ]

    def __str__(self) -> str:
        return f"{self.asset} on {self.network}"


class DepositAddress(models.Model):
    """A user's deposit address on a network (shared by the network's assets)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deposit_addresses"
    )
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(max_length=128)
    memo = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["user", "network"], name="one_address_per_user_network"
            ),
            models.UniqueConstraint(
                fields=["network", "address", "memo"], name="deposit_address_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.address}{'/' + self.memo if self.memo else ''}"


class TransferStatus(models.TextChoices):
    SEEN = "SEEN", "Seen, waiting for confirmations"
    CREDITED = "CREDITED", "Credited"
    ORPHANED = "ORPHANED", "Reorganised away before credit"
    REORGED = "REORGED", "Reorganised away after credit: operator must act"
    DUST = "DUST", "Smaller than the asset's precision: not credited"


class ChainTransfer(models.Model):
    """An incoming transfer to a deposit address as the watcher saw it on chain."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    txid = models.CharField(max_length=128)
    log_index = models.PositiveIntegerField(default=0)
    block_number = models.PositiveBigIntegerField()
    block_hash = models.CharField(max_length=128)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(max_length=128)
    memo = models.CharField(max_length=64, blank=True, default="")
    amount = MoneyField()
    status = models.CharField(
        max_length=8, choices=TransferStatus.choices, default=TransferStatus.SEEN
    )
    deposit = models.OneToOneField(
        Deposit, null=True, blank=True, on_delete=models.PROTECT, related_name="transfer"
    )
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["network", "txid", "log_index"], name="chain_transfer_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="chain_transfer_amount_gt_0"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["network", "status", "block_number"])
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.txid}#{self.log_index} {self.amount} {self.asset}"


class ChainCursor(models.Model):
    """The last block the deposit watcher scanned on a network; it survives restarts."""

    network = models.OneToOneField(Network, on_delete=models.PROTECT, related_name="cursor")
    last_block = models.BigIntegerField(default=-1)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.network} at {self.last_block}"


class AccountNonce(models.Model):
    """The next nonce of an account we sign for on an account-based chain (EVM).

    Taken under a row lock in the transaction that records the signed transaction,
    so concurrent payouts get consecutive nonces: none reused, none skipped.
    """

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(max_length=128, help_text="Lower case.")
    next_nonce = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["network", "address"], name="account_nonce_unique")
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.address} next {self.next_nonce}"


class SweepStatus(models.TextChoices):
    GAS_SENT = "GAS_SENT", "Gas sent from the hot wallet; waiting for it to be mined"
    SENT = "SENT", "Sent to the hot wallet"
    CONFIRMED = "CONFIRMED", "Mined"
    FAILED = "FAILED", "Failed on chain: an operator looks"


class Sweep(models.Model):
    """Moving a deposit address's balance of one asset to the hot wallet.

    A token sweep whose address lacks gas first gets a top-up from the hot wallet.
    Like a payout, each signed transaction is recorded before it is broadcast.
    """

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    deposit_address = models.ForeignKey(
        DepositAddress, on_delete=models.PROTECT, related_name="sweeps"
    )
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    amount = MoneyField()
    status = models.CharField(max_length=9, choices=SweepStatus.choices)
    gas_amount = MoneyField(default=0, help_text="Native coin sent to the address for gas.")
    gas_txid = models.CharField(max_length=128, blank=True, default="")
    gas_signed_tx = models.TextField(blank=True, default="")
    txid = models.CharField(max_length=128, blank=True, default="")
    signed_tx = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sweep_amount_gt_0"),
            # one open sweep per address and asset: a second pass advances it
            models.UniqueConstraint(
                fields=["deposit_address", "asset"],
                condition=Q(status__in=["GAS_SENT", "SENT"]),
                name="one_open_sweep_per_address_asset",
            ),
        ]

    def __str__(self) -> str:
        return f"sweep {self.amount} {self.asset} from {self.deposit_address} ({self.status})"


class SimBlock(models.Model):
    """A block of the simulated test chain (adapter ``sim``): the chain lives in the database."""

    network = models.CharField(max_length=32)
    number = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["network", "number"], name="sim_block_unique")
        ]


class SimTx(models.Model):
    """A transfer on the simulated chain; ``block`` is null while it waits in the mempool."""

    network = models.CharField(max_length=32)
    txid = models.CharField(max_length=64)
    log_index = models.PositiveIntegerField(default=0)
    sender = models.CharField(max_length=128)
    recipient = models.CharField(max_length=128)
    memo = models.CharField(max_length=64, blank=True, default="")
    contract = models.CharField(max_length=128, blank=True, default="")
    amount = MoneyField()
    block = models.ForeignKey(
        SimBlock, null=True, blank=True, on_delete=models.SET_NULL, related_name="txs"
    )
    succeeded = models.BooleanField(default=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["network", "txid", "log_index"], name="sim_tx_unique")
        ]


class AddressBookEntry(models.Model):
    """A withdrawal address the user saved. Once a user has one on a network,
    withdrawals on that network may go only to saved addresses (a whitelist)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="address_book"
    )
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(max_length=128)
    memo = models.CharField(max_length=64, blank=True, default="")
    label = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "address book entries"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["user", "network", "address", "memo"], name="address_book_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label or self.address} ({self.network})"
