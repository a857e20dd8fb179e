"""Orders and trades, with the fields Binance clients read."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from exchange.core.money_db import MoneyField
from exchange.markets.models import Market
from exchange.wallets.models import Asset


class Side(models.TextChoices):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(models.TextChoices):
    LIMIT = "LIMIT"
    LIMIT_MAKER = "LIMIT_MAKER"
    MARKET = "MARKET"
    STOP_LOSS = "STOP_LOSS"
    STOP_LOSS_LIMIT = "STOP_LOSS_LIMIT"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"


LIMIT_PRICED_TYPES = frozenset(
    {OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT}
)
STOP_TYPES = frozenset(
    {
        OrderType.STOP_LOSS,
        OrderType.STOP_LOSS_LIMIT,
        OrderType.TAKE_PROFIT,
        OrderType.TAKE_PROFIT_LIMIT,
    }
)


class TimeInForce(models.TextChoices):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class SelfTradePrevention(models.TextChoices):
    NONE = "NONE"
    EXPIRE_TAKER = "EXPIRE_TAKER"
    EXPIRE_MAKER = "EXPIRE_MAKER"
    EXPIRE_BOTH = "EXPIRE_BOTH"


class ReplaceMode(models.TextChoices):
    """What a cancel-replace does when its cancel fails (Binance's cancelReplaceMode)."""

    STOP_ON_FAILURE = "STOP_ON_FAILURE"
    ALLOW_FAILURE = "ALLOW_FAILURE"


class OrderStatus(models.TextChoices):
    NEW = "NEW"
    PENDING_TRIGGER = "PENDING_TRIGGER", "Stop waiting for its trigger"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


OPEN_STATUSES = (OrderStatus.NEW, OrderStatus.PENDING_TRIGGER, OrderStatus.PARTIALLY_FILLED)


class ContingencyType(models.TextChoices):
    OCO = "OCO"


class OrderList(models.Model):
    """Orders linked in the engine: an OCO's two legs (``Order.order_list``).

    Its status is its legs' (``list_status``): nothing here changes after entry.
    The list's one hold is on one leg's row; clearing moves it to the leg that acts.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    market = models.ForeignKey(
        Market, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    contingency_type = models.CharField(
        max_length=8, choices=ContingencyType.choices, default=ContingencyType.OCO
    )
    list_client_order_id = models.CharField(max_length=36)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "created_at"], name="order_list_user_created"),
        ]

    def __str__(self) -> str:
        return f"list #{self.pk} {self.contingency_type} {self.market_id}"


class OrderColumns(models.Model):
    """The columns of an order, shared by ``orders_order`` and its closed-order history."""

    # No single-column index where a composite index starts with the column, or
    # where only a PROTECT check on delete would use it: each index is written by
    # every order update and trade insert of clearing (ADR 0006). Clearing changes
    # ``status`` and ``accepted_at``, so its updates cannot be HOT: the indexes that
    # only serve open or unacknowledged orders are partial, and a closed or
    # acknowledged order's new row version is not inserted into them (ADR 0008).
    # ``market`` and ``locked_asset`` have no database FK constraint: its check at
    # every entry's commit locked the same market and asset rows FOR KEY SHARE from
    # every worker (ADR 0011). Their ids come from rows that are never deleted.
    # related_name "%(class)ss": "orders" of Order (user.orders, market.orders),
    # "closedorders" of the history.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="%(class)ss",
        db_index=False,
    )
    market = models.ForeignKey(
        Market,
        on_delete=models.PROTECT,
        related_name="%(class)ss",
        db_index=False,
        db_constraint=False,
    )
    client_order_id = models.CharField(max_length=36)
    side = models.CharField(max_length=4, choices=Side.choices)
    type = models.CharField(max_length=17, choices=OrderType.choices)
    time_in_force = models.CharField(
        max_length=3, choices=TimeInForce.choices, blank=True, default=""
    )
    self_trade_prevention = models.CharField(
        max_length=12, choices=SelfTradePrevention.choices, default=SelfTradePrevention.NONE
    )
    price = MoneyField(null=True, blank=True)
    stop_price = MoneyField(null=True, blank=True)
    trailing_delta = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Trailing stop distance in BIPS (0.01 %); stop_price is then the activation"
        " price, or empty to trail from the last price at once (ADR 0048).",
    )
    orig_qty = MoneyField(null=True, blank=True)
    quote_order_qty = MoneyField(null=True, blank=True)
    executed_qty = MoneyField(default=0)
    cumulative_quote_qty = MoneyField(default=0)
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.NEW)
    locked_asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    locked = MoneyField()
    locked_remaining = MoneyField()
    reject_reason = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    accepted_at = models.DateTimeField(
        null=True, blank=True, help_text="When clearing saw the engine's answer to the PLACE."
    )
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    resent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sweeper last re-sent it."
    )
    done_at = models.DateTimeField(null=True, blank=True)
    replaces = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
        help_text="The order this one's cancel-replace canceled in the same engine step.",
    )
    replace_mode = models.CharField(
        max_length=15, choices=ReplaceMode.choices, blank=True, default=""
    )
    lock_from_replaced = MoneyField(
        default=0,
        help_text="What this order takes over of the replaced order's lock (at most), "
        "on top of ``locked``: moved by the engine and clearing, not by entry.",
    )
    order_list = models.ForeignKey(
        OrderList,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(class)ss",
        db_index=False,
        db_constraint=False,
        help_text="The OCO this order is a leg of (its other leg is canceled when it acts).",
    )
    client_id_released = models.BooleanField(
        default=False,
        help_text="The client order id may be used again: the order is closed and older "
        "than ORDER_CLIENT_ID_WINDOW (exchange/orders/client_ids.py).",
    )

    class Meta:
        abstract = True


class Order(OrderColumns):
    """One order. Its id is the engine's order id.

    ``locked`` is what order entry moved from available to locked for it;
    ``locked_remaining`` what is still locked (trades spend it, the end of the
    order releases it). Both in ``locked_asset``: quote for buys, base for sells.
    """

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # A retry of an order is refused (or answered with it) for as long as the
            # id is held: while open and for the window after (ADR 0028).
            models.UniqueConstraint(
                fields=["user", "client_order_id"],
                condition=Q(client_id_released=False),
                name="order_client_id_unique_held",
            ),
            models.CheckConstraint(
                condition=Q(locked_remaining__gte=0), name="order_locked_remaining_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(executed_qty__gte=0), name="order_executed_qty_gte_0"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["user", "market"],
                condition=Q(status__in=OPEN_STATUSES),
                name="order_open_user_market",
            ),
            models.Index(fields=["user", "created_at"], name="order_user_created"),
            models.Index(
                fields=["created_at"],
                condition=Q(accepted_at__isnull=True),
                name="order_unacknowledged",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(client_id_released=False),
                name="order_client_id_held",
            ),
            models.Index(
                fields=["order_list"],
                condition=Q(order_list__isnull=False),
                name="order_list_legs",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.side} {self.type} {self.market_id} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


CLOSED_STATUSES = (
    OrderStatus.FILLED,
    OrderStatus.CANCELED,
    OrderStatus.EXPIRED,
    OrderStatus.REJECTED,
)


class ClosedOrder(OrderColumns):
    """An order closed more than ORDER_HISTORY_DAYS ago, moved here whole (same id).

    Partitioned by ``created_at`` month on PostgreSQL and archived like the other
    history tables; read together with ``orders_order`` by ``order_rows``, never
    written but by the move (``exchange/orders/closed_orders.py``, ADR 0050).
    """

    class Meta:
        db_table = "orders_order_history"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "created_at"], name="closed_order_user_created"),
            models.Index(fields=["user", "id"], name="closed_order_user_id"),
            models.Index(fields=["user", "client_order_id"], name="closed_order_user_client_id"),
            models.Index(
                fields=["order_list"],
                condition=Q(order_list__isnull=False),
                name="closed_order_list_legs",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.side} {self.type} {self.market_id} {self.status} (history)"


class Trade(models.Model):
    """One match. Each side's commission is charged in the asset that side receives."""

    # Single-column indexes only where no composite index starts with the column (see Order).
    # No database FOREIGN KEY constraints: clearing, the only writer, takes every
    # referenced id from the order rows it holds locked, and each deferred check
    # cost a query per trade at commit (ADR 0008). PROTECT stays, in Django.
    market = models.ForeignKey(
        Market, on_delete=models.PROTECT, related_name="trades", db_index=False, db_constraint=False
    )
    trade_id = models.BigIntegerField(help_text="Per-market sequence from the engine.")
    price = MoneyField()
    qty = MoneyField()
    quote_qty = MoneyField()
    maker_order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    taker_order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    maker_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    taker_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    is_buyer_maker = models.BooleanField()
    maker_commission = MoneyField()
    maker_commission_asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    taker_commission = MoneyField()
    taker_commission_asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    created_at = models.DateTimeField(help_text="From the engine's input entry ID, not a clock.")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["market", "trade_id"], name="trade_unique_market_trade_id"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["maker_user", "created_at"], name="trade_maker_user_time"),
            models.Index(fields=["taker_user", "created_at"], name="trade_taker_user_time"),
            models.Index(fields=["market", "created_at"], name="trade_market_time"),
        ]

    def __str__(self) -> str:
        return f"{self.market_id}#{self.trade_id} {self.qty}@{self.price}"


class CancelCountdown(models.Model):
    """A dead-man's switch: when ``deadline`` passes unrenewed, every open order of the
    user in the market is canceled, once (``countdown.py``). The deadline is a row, not a
    timer in a process, so it survives restarts of any process."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="+")
    deadline = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "market"], name="countdown_unique_user_market"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["deadline"], name="countdown_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.market_id} at {self.deadline}"


class OrderAmendment(models.Model):
    """One amend keep priority of an open order (Binance's PUT /api/v3/order/amend/keepPriority):
    what was asked, and the engine's answer once clearing has it (``result`` empty while
    pending). The engine derives what filled from ``old_qty``, so one is in flight per order."""

    # By id, without a database key: the order may move to the closed-order history
    # while its amendments stay (ADR 0050).
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="amendments", db_constraint=False
    )
    old_qty = MoneyField()
    new_qty = MoneyField()
    old_client_order_id = models.CharField(max_length=36)
    new_client_order_id = models.CharField(max_length=36)
    result = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["order"], condition=Q(result=""), name="order_amendment_pending"),
        ]

    def __str__(self) -> str:
        return f"#{self.order_id}: {self.old_qty} -> {self.new_qty} {self.result or 'pending'}"
