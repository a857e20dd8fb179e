"""Perpetual contracts and their leverage brackets.

A contract's symbol is Binance's (``BTCUSDT``) and may equal a spot market's: the
two live in different tables and every surface names the product, so they never
meet. ``engine_id`` is the contract's integer id inside its margin group's engine.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from exchange.core.money_db import MoneyField
from exchange.markets.models import FeeRateField, Market
from exchange.wallets.models import Asset

AVG_PRICE_PLACES = Decimal("1e-8")


class ContractStatus(models.TextChoices):
    TRADING = "TRADING"
    HALTED = "HALTED"


class Contract(models.Model):
    """A USDⓈ-M linear perpetual: margined and settled in ``margin_asset``."""

    symbol = models.CharField(max_length=32, unique=True)
    base_asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    quote_asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    margin_asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    engine_id = models.PositiveIntegerField(
        unique=True, help_text="The contract's id inside its margin group's engine."
    )
    status = models.CharField(
        max_length=8, choices=ContractStatus.choices, default=ContractStatus.TRADING
    )
    tick_size = MoneyField(help_text="Price increment; prices are integer ticks in the engine.")
    step_size = MoneyField(help_text="Quantity increment; quantities are lots in the engine.")
    min_notional = MoneyField(default=0)
    maker_fee = FeeRateField(default=0, help_text="Rate, e.g. 0.0002 = 0.02%.")
    taker_fee = FeeRateField(default=0)
    liquidation_fee = FeeRateField(
        default=0, help_text="Rate of a liquidated position's notional, to the insurance fund."
    )
    funding_interval_seconds = models.PositiveIntegerField(default=8 * 3600)
    interest_rate = FeeRateField(
        default=0, help_text="Interest term of the funding rate per interval (0.0001 = 0.01%)."
    )
    funding_cap = FeeRateField(default=0, help_text="Largest |funding rate| per interval.")
    index_market = models.ForeignKey(
        Market,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The spot book whose prices make the index.",
    )
    onboard_date = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["symbol"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=~Q(base_asset=F("quote_asset")), name="contract_base_ne_quote"
            ),
            models.CheckConstraint(condition=Q(tick_size__gt=0), name="contract_tick_gt_0"),
            models.CheckConstraint(condition=Q(step_size__gt=0), name="contract_step_gt_0"),
            models.CheckConstraint(
                condition=Q(min_notional__gte=0), name="contract_min_notional_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(
                    maker_fee__gte=0,
                    maker_fee__lt=1,
                    taker_fee__gte=0,
                    taker_fee__lt=1,
                    liquidation_fee__gte=0,
                    liquidation_fee__lt=1,
                    funding_cap__gte=0,
                    funding_cap__lt=1,
                ),
                name="contract_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(funding_interval_seconds__gt=0), name="contract_funding_interval_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} perpetual"


class LeverageBracket(models.Model):
    """One notional tier: positions up to ``notional_cap`` (in the margin asset) may use
    up to ``max_leverage`` and keep ``maintenance_rate`` of their notional as margin."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="brackets")
    tier = models.PositiveSmallIntegerField()
    notional_cap = MoneyField()
    max_leverage = models.PositiveSmallIntegerField()
    maintenance_rate = FeeRateField()

    class Meta:
        ordering: ClassVar[list[str]] = ["contract", "tier"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["contract", "tier"], name="bracket_unique_tier"),
            models.CheckConstraint(condition=Q(notional_cap__gt=0), name="bracket_cap_gt_0"),
            models.CheckConstraint(
                condition=Q(max_leverage__gte=1, max_leverage__lte=125),
                name="bracket_leverage_range",
            ),
            models.CheckConstraint(
                condition=Q(maintenance_rate__gt=0, maintenance_rate__lt=1),
                name="bracket_maintenance_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.symbol} tier {self.tier}: ≤{self.notional_cap} x{self.max_leverage}"


# --- orders, transfers and the projection of the engine's output -----------------------


class OrderSide(models.TextChoices):
    BUY = "BUY"
    SELL = "SELL"


class FuturesOrderType(models.TextChoices):
    LIMIT = "LIMIT"
    MARKET = "MARKET"
    # Conditional: pending in the engine until the working price reaches stop_price.
    STOP = "STOP"
    STOP_MARKET = "STOP_MARKET"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_MARKET = "TAKE_PROFIT_MARKET"
    # Follows the best working price after activation_price (or at once), fires as a
    # MARKET when the price comes back by callback_rate % (ADR 0048).
    TRAILING_STOP_MARKET = "TRAILING_STOP_MARKET"


CONDITIONAL_TYPES = frozenset(
    {
        FuturesOrderType.STOP,
        FuturesOrderType.STOP_MARKET,
        FuturesOrderType.TAKE_PROFIT,
        FuturesOrderType.TAKE_PROFIT_MARKET,
        FuturesOrderType.TRAILING_STOP_MARKET,
    }
)
# Types with a limit price (the rest execute at market).
PRICED_TYPES = frozenset(
    {FuturesOrderType.LIMIT, FuturesOrderType.STOP, FuturesOrderType.TAKE_PROFIT}
)


class WorkingType(models.TextChoices):
    CONTRACT_PRICE = "CONTRACT_PRICE", "Last trade price"
    MARK_PRICE = "MARK_PRICE"


class MarginType(models.TextChoices):
    CROSSED = "CROSSED"
    ISOLATED = "ISOLATED"


class FuturesTimeInForce(models.TextChoices):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    GTX = "GTX", "Good till crossing (post-only)"


class FuturesOrderStatus(models.TextChoices):
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


FUTURES_OPEN_STATUSES = (FuturesOrderStatus.NEW, FuturesOrderStatus.PARTIALLY_FILLED)


class FuturesOrder(models.Model):
    """A user's order on a contract; its id is the engine's order id.

    Written before the engine hears of it (as spot does), so a crash after the
    commit is repaired by re-sending the PLACE (the engine dedupes by id); clearing
    sets the status, fills and reject reason from the engine's output.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="orders")
    client_order_id = models.CharField(max_length=36)
    side = models.CharField(max_length=4, choices=OrderSide.choices)
    type = models.CharField(max_length=24, choices=FuturesOrderType.choices)
    time_in_force = models.CharField(max_length=3, choices=FuturesTimeInForce.choices)
    price = MoneyField(null=True, blank=True)
    quantity = MoneyField()
    reduce_only = models.BooleanField(default=False)
    stop_price = MoneyField(null=True, blank=True)
    working_type = models.CharField(
        max_length=14, choices=WorkingType.choices, default=WorkingType.CONTRACT_PRICE
    )
    close_position = models.BooleanField(
        default=False, help_text="Closes the whole position when triggered (quantity 0)."
    )
    activation_price = MoneyField(
        null=True, blank=True, help_text="TRAILING_STOP_MARKET: starts trailing at this price."
    )
    callback_rate = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="TRAILING_STOP_MARKET: fires this many % back from the best price (0.1-10).",
    )
    triggered = models.BooleanField(default=False, help_text="A conditional order has fired.")
    executed_qty = MoneyField(default=0)
    cum_quote = MoneyField(default=0)
    status = models.CharField(
        max_length=16, choices=FuturesOrderStatus.choices, default=FuturesOrderStatus.NEW
    )
    reject_reason = models.CharField(max_length=32, blank=True, default="")
    accepted = models.BooleanField(default=False, help_text="The engine's output was cleared.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["user", "client_order_id"], name="futures_order_unique_client_id"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0) | Q(close_position=True, quantity=0),
                name="futures_order_qty_gt_0",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "contract", "status"]),
            models.Index(fields=["accepted", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.side} {self.quantity} {self.contract.symbol} ({self.status})"

    @property
    def avg_price(self) -> Decimal | None:
        """The average fill price (8 places, as Binance shows it), None before a fill.

        Off the tick grid when fills were at several prices; every surface shows this one."""
        if not self.executed_qty:
            return None
        return (self.cum_quote / self.executed_qty).quantize(AVG_PRICE_PLACES)


class FuturesOrderAmendment(models.Model):
    """One modify of a resting limit order (Binance's PUT /fapi/v1/order): what was asked,
    and the engine's answer once clearing has it (``result`` empty while pending)."""

    order = models.ForeignKey(FuturesOrder, on_delete=models.CASCADE, related_name="amendments")
    old_price = MoneyField()
    old_quantity = MoneyField()
    price = MoneyField()
    quantity = MoneyField()
    result = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["order"], condition=Q(result=""), name="futures_amendment_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.order_id}: {self.old_price}x{self.old_quantity} -> {self.price}x{self.quantity}"


class FuturesCancelCountdown(models.Model):
    """The futures dead-man's switch: when ``deadline`` passes unrenewed, every open order
    of the user in the contract is canceled, once (``exchange.futures.countdown``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+")
    deadline = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["user", "contract"], name="futures_countdown_unique_user_contract"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["deadline"], name="futures_countdown_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.contract_id} at {self.deadline}"


class FuturesTrade(models.Model):
    """One fill; partition-ready: the time is the first column of the key."""

    pk = models.CompositePrimaryKey("time", "contract_id", "trade_seq")
    time = models.DateTimeField()
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    trade_seq = models.BigIntegerField(help_text="Per-contract sequence from the engine.")
    price = MoneyField()
    qty = MoneyField()
    quote_qty = MoneyField()
    taker_side = models.CharField(max_length=4, choices=OrderSide.choices)
    taker_order_id = models.BigIntegerField(help_text="An engine liquidation order >= 2^62.")
    maker_order_id = models.BigIntegerField()
    taker_user_id = models.BigIntegerField()
    maker_user_id = models.BigIntegerField()
    taker_fee = MoneyField()
    maker_fee = MoneyField()
    taker_realized_pnl = MoneyField()
    maker_realized_pnl = MoneyField()
    liquidation = models.BooleanField(default=False)
    entry_id = models.CharField(max_length=32)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["contract", "trade_seq", "time"], name="ftrade_seq"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["taker_user_id", "time"]),
            models.Index(fields=["maker_user_id", "time"]),
        ]


class Position(models.Model):
    """A user's one-way position in a contract, as the engine last reported it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="positions")
    size = MoneyField(default=0, help_text="Signed: > 0 long, < 0 short.")
    cost = MoneyField(default=0, help_text="Signed notional of the open fills.")
    leverage = models.PositiveSmallIntegerField(default=20)
    margin_type = models.CharField(
        max_length=8, choices=MarginType.choices, default=MarginType.CROSSED
    )
    isolated_margin = MoneyField(default=0, help_text="Part of the wallet held by this position.")
    realized_pnl = MoneyField(
        default=0,
        help_text="Running total of the realized PnL booked in this contract, before fees "
        "(fills, liquidations, ADL; not funding): Binance's accumulated realized, cr.",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "contract"], name="one_position_per_contract"),
        ]

    @property
    def entry_price(self) -> Decimal:
        return self.cost / self.size if self.size else Decimal(0)

    def __str__(self) -> str:
        return f"{self.user_id} {self.contract_id}: {self.size}"


class FuturesWallet(models.Model):
    """A user's futures wallet balance in a margin asset (without unrealized PnL)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    balance = MoneyField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "asset"], name="one_futures_wallet_per_asset"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.asset_id}: {self.balance}"


class IncomeType(models.TextChoices):
    TRANSFER = "TRANSFER"
    REALIZED_PNL = "REALIZED_PNL"
    COMMISSION = "COMMISSION"
    FUNDING_FEE = "FUNDING_FEE"
    INSURANCE_CLEAR = "INSURANCE_CLEAR", "Deficit covered by the insurance fund"
    LIQUIDATION_FEE = "LIQUIDATION_FEE"


class Income(models.Model):
    """One change of a futures wallet, as Binance's income history lists them.

    A wallet always equals the sum of its income. Keyed by the engine output entry
    and the event's place in it (so a batch applied twice cannot double it), with
    the time first: partition-ready.
    """

    pk = models.CompositePrimaryKey("time", "entry_id", "seq")
    time = models.DateTimeField()
    entry_id = models.CharField(max_length=32)
    seq = models.PositiveIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    contract = models.ForeignKey(
        Contract, null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    income_type = models.CharField(max_length=16, choices=IncomeType.choices)
    amount = MoneyField()
    info = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["user", "time"])]


class InsuranceFund(models.Model):
    """The insurance fund of a margin group, as the engine last reported it."""

    asset = models.OneToOneField(Asset, on_delete=models.PROTECT, related_name="+")
    balance = MoneyField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"insurance fund {self.asset_id}: {self.balance}"


class TransferDirection(models.TextChoices):
    IN = "IN", "Spot to futures"
    OUT = "OUT", "Futures to spot"


class TransferStatus(models.TextChoices):
    PENDING = "PENDING"
    DONE = "DONE"
    REFUSED = "REFUSED"


class FuturesTransfer(models.Model):
    """Collateral moved between the spot wallet and the futures account; its id is the
    engine's request id, and (user, client id) makes a retried request the same one."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=3, choices=TransferDirection.choices)
    amount = MoneyField()
    client_request_id = models.CharField(max_length=64)
    status = models.CharField(
        max_length=8, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    refusal = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["user", "client_request_id"], name="futures_transfer_unique_client_id"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="futures_transfer_gt_0"),
        ]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.direction} {self.amount} {self.asset_id} ({self.status})"


class AutoCloseType(models.TextChoices):
    LIQUIDATION = "LIQUIDATION", "Closed by a liquidation"
    ADL = "ADL", "Closed by auto-deleveraging"


class ForcedOrder(models.Model):
    """A position close the engine forced on a user, as Binance's ``forceOrders`` lists them.

    The engine's liquidation orders have no ``FuturesOrder`` row (their ids are >= 2^62)
    and ADL closes no trade rows: clearing writes one row per output entry, user,
    contract and kind, summing the liquidation IOC's fills and the ADL closes of that
    command. ``price`` is the worst price reached (the engine reports fills, not the
    IOC's limit); for ADL it is the bankruptcy price of the liquidated position.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="+")
    auto_close_type = models.CharField(max_length=11, choices=AutoCloseType.choices)
    side = models.CharField(max_length=4, choices=OrderSide.choices)
    price = MoneyField()
    quantity = MoneyField()
    cum_quote = MoneyField()
    engine_order_id = models.BigIntegerField(
        null=True, blank=True, help_text="The engine's liquidation order, when it traded."
    )
    time = models.DateTimeField()
    entry_id = models.CharField(max_length=32)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["entry_id", "user", "contract", "auto_close_type"],
                name="forced_order_once_per_entry",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="forced_order_qty_gt_0"),
        ]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["user", "time"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.auto_close_type} {self.side} {self.quantity} ({self.user_id})"

    @property
    def avg_price(self) -> Decimal:
        return (self.cum_quote / self.quantity).quantize(AVG_PRICE_PLACES)


class IsolatedMarginChange(models.Model):
    """One request to add (> 0) or take back (< 0) an isolated position's margin, and the
    engine's answer once clearing has it (``result`` empty while pending).

    ADJUST_ISOLATED_MARGIN carries no request id: clearing gives the answer to the
    user's undecided row in the contract, so one is in flight at a time per contract.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="+")
    amount = MoneyField(help_text="Signed: > 0 added from the cross wallet, < 0 taken back.")
    result = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["user", "contract"],
                condition=Q(result=""),
                name="isolated_margin_one_pending",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="isolated_margin_change_ne_0"),
        ]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.contract_id}: {self.amount} ({self.result or 'pending'})"
