"""Apply a batch of engine output entries to the database in ONE transaction.

Trades are inserted, orders updated, balances moved, unused locks released,
and the market's checkpoint advanced, all or nothing. The batch is one
settlement journal entry with one line per touched (account, asset, bucket):
the per-trade detail (amounts, both fees) is the Trade row itself.
Entries at or below the checkpoint are skipped, so re-delivery is harmless.
Order rows are locked in id order, balance rows in (account, asset) order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_UP, Decimal

from django.db import transaction

from exchange.clearing.models import Checkpoint
from exchange.core.bulk import bulk_insert_values, bulk_update_fields
from exchange.markets.filters import lots_to_qty, ticks_to_price
from exchange.markets.models import Market
from exchange.markets.selectors import FeeRates, fee_rates_for
from exchange.orders.lock import units_to_quote
from exchange.orders.models import Order, OrderStatus, Side
from exchange.orders.models import Trade as TradeRow
from exchange.wallets.ledger import Line, Posting, post_entries, system_account, user_accounts
from exchange.wallets.models import Account, AccountKind, Asset, Bucket, JournalReason
from matching_client import (
    CommandType,
    DoneReason,
    OrderDone,
    OutputEntry,
    ResultCode,
    StopTriggered,
    Trade,
    entry_ms,
    parse_entry_id,
)
from matching_client import Side as EngineSide

DONE_STATUS = {
    DoneReason.FILLED: OrderStatus.FILLED,
    DoneReason.CANCELED: OrderStatus.CANCELED,
    DoneReason.EXPIRED: OrderStatus.EXPIRED,
    DoneReason.STP_EXPIRED: OrderStatus.EXPIRED,
    DoneReason.LOCK_EXHAUSTED: OrderStatus.EXPIRED,
}
ACCEPTED = (ResultCode.OK, ResultCode.DUPLICATE)
ORDER_FIELDS = [
    "status",
    "executed_qty",
    "cumulative_quote_qty",
    "locked_remaining",
    "reject_reason",
    "accepted_at",
    "done_at",
    "updated_at",
]


TRADE_COLUMNS = [
    "market",
    "trade_id",
    "price",
    "qty",
    "quote_qty",
    "maker_order",
    "taker_order",
    "maker_user",
    "taker_user",
    "is_buyer_maker",
    "maker_commission",
    "maker_commission_asset",
    "taker_commission",
    "taker_commission_asset",
    "created_at",
]


class ClearingError(Exception):
    """An entry that cannot be applied (unknown order, amounts that disagree): a poison entry."""


def entry_time(entry_id: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(entry_ms(entry_id) / 1000, tz=dt.UTC)


@dataclass
class BatchResult:
    """What changed, for the user-event fan-out after commit."""

    applied: int = 0
    skipped: int = 0
    trades: int = 0
    orders: dict[int, Order] = field(default_factory=dict)
    balances: set[tuple[int, int]] = field(default_factory=set)  # (user_id, asset_id)
    trade_rows: list[tuple[object, ...]] = field(default_factory=list)  # in TRADE_COLUMNS order


class _Batch:
    def __init__(self, market: Market, entries: Sequence[OutputEntry]) -> None:
        self.market = market
        self.entries = entries
        self.orders: dict[int, Order] = {}
        self.changed: dict[int, Order] = {}
        self.trades: list[tuple[object, ...]] = []  # in TRADE_COLUMNS order
        self.net: dict[tuple[int, int, str], Line] = {}
        self.rates: dict[int, FeeRates] = {}
        self.accounts: dict[int, Account] = {}
        self.fee_account = system_account(AccountKind.FEE_INCOME)
        self.base_exp = Decimal(1).scaleb(-market.base.precision)
        self.quote_exp = Decimal(1).scaleb(-market.quote.precision)

    def _order_ids(self) -> set[int]:
        ids: set[int] = set()
        for entry in self.entries:
            if entry.command == CommandType.PLACE and entry.order_id:
                ids.add(entry.order_id)
            for event in entry.events:
                if isinstance(event, Trade):
                    ids.update((event.maker_order_id, event.taker_order_id))
                elif isinstance(event, OrderDone | StopTriggered):
                    ids.add(event.order_id)
        return ids

    def load(self) -> None:
        ids = self._order_ids()
        rows = (
            Order.objects.select_for_update().filter(pk__in=ids, market=self.market).order_by("pk")
        )
        self.orders = {o.pk: o for o in rows}
        self.accounts = user_accounts({o.user_id for o in self.orders.values()})

    def order(self, order_id: int) -> Order:
        try:
            return self.orders[order_id]
        except KeyError:
            raise ClearingError(
                f"order {order_id} is not an order of {self.market.symbol}"
            ) from None

    def rates_for(self, order: Order) -> FeeRates:
        if order.user_id not in self.rates:
            self.rates[order.user_id] = fee_rates_for(user_id=order.user_id, market=self.market)
        return self.rates[order.user_id]

    def run(self) -> None:
        self.load()
        for entry in self.entries:
            when = entry_time(entry.entry_id)
            if entry.command == CommandType.PLACE and entry.order_id:
                self.on_place_result(entry, when)
            for event in entry.events:
                if isinstance(event, Trade):
                    self.on_trade(event, when)
                elif isinstance(event, OrderDone):
                    self.on_done(event, when)
                elif isinstance(event, StopTriggered):
                    self.on_stop_triggered(event, when)

    def touch(self, order: Order, when: dt.datetime) -> None:
        order.updated_at = when
        self.changed[order.pk] = order

    def on_place_result(self, entry: OutputEntry, when: dt.datetime) -> None:
        order = self.order(entry.order_id)
        if order.accepted_at is not None:
            return
        order.accepted_at = when
        if entry.result not in ACCEPTED and order.status in (
            OrderStatus.NEW,
            OrderStatus.PENDING_TRIGGER,
        ):
            order.status = OrderStatus.REJECTED
            order.reject_reason = entry.result.name
            order.done_at = when
            self.release(order)
        self.touch(order, when)

    def on_trade(self, t: Trade, when: dt.datetime) -> None:
        market = self.market
        maker, taker = self.order(t.maker_order_id), self.order(t.taker_order_id)
        price = ticks_to_price(market, t.price)
        qty = lots_to_qty(market, t.qty)
        quote = units_to_quote(market, t.quote)
        buyer_is_taker = t.taker_side == EngineSide.BUY
        buyer, seller = (taker, maker) if buyer_is_taker else (maker, taker)
        buyer_rate = self.rates_for(buyer).taker if buyer_is_taker else self.rates_for(buyer).maker
        seller_rate = (
            self.rates_for(seller).maker if buyer_is_taker else self.rates_for(seller).taker
        )
        # Rounded up to the asset's precision, never more than what the side receives.
        buyer_fee = min(qty, (qty * buyer_rate).quantize(self.base_exp, rounding=ROUND_UP))
        seller_fee = min(quote, (quote * seller_rate).quantize(self.quote_exp, rounding=ROUND_UP))

        for order, spent in ((buyer, quote), (seller, qty)):
            if order.locked_remaining < spent:
                raise ClearingError(f"trade {t.trade_id} spends more than order {order.pk} locked")
            order.locked_remaining -= spent
            order.executed_qty += qty
            order.cumulative_quote_qty += quote
            if order.status in (OrderStatus.NEW, OrderStatus.PENDING_TRIGGER):
                order.status = OrderStatus.PARTIALLY_FILLED
            if order.accepted_at is None:
                order.accepted_at = when
            self.touch(order, when)

        self.trades.append(
            (
                market.pk,
                t.trade_id,
                price,
                qty,
                quote,
                maker.pk,
                taker.pk,
                maker.user_id,
                taker.user_id,
                not buyer_is_taker,
                seller_fee if buyer_is_taker else buyer_fee,
                market.quote_id if buyer_is_taker else market.base_id,
                buyer_fee if buyer_is_taker else seller_fee,
                market.base_id if buyer_is_taker else market.quote_id,
                when,
            )
        )
        b, s = self.accounts[buyer.user_id], self.accounts[seller.user_id]
        base, quote_asset = market.base, market.quote
        self.move(b, quote_asset, Bucket.LOCKED, -quote)
        self.move(s, quote_asset, Bucket.AVAILABLE, quote - seller_fee)
        self.move(self.fee_account, quote_asset, Bucket.AVAILABLE, seller_fee)
        self.move(s, base, Bucket.LOCKED, -qty)
        self.move(b, base, Bucket.AVAILABLE, qty - buyer_fee)
        self.move(self.fee_account, base, Bucket.AVAILABLE, buyer_fee)

    def on_done(self, done: OrderDone, when: dt.datetime) -> None:
        order = self.order(done.order_id)
        if order.side == Side.BUY:
            unused = units_to_quote(self.market, done.unused_lock)
        else:
            unused = lots_to_qty(self.market, done.unused_lock)
        if unused != order.locked_remaining:
            raise ClearingError(
                f"order {order.pk}: engine returns {unused} unused, database holds {order.locked_remaining}"
            )
        order.status = DONE_STATUS[done.reason]
        order.done_at = when
        if order.accepted_at is None:
            order.accepted_at = when
        self.release(order)
        self.touch(order, when)

    def on_stop_triggered(self, event: StopTriggered, when: dt.datetime) -> None:
        order = self.order(event.order_id)
        if order.status == OrderStatus.PENDING_TRIGGER:
            order.status = OrderStatus.NEW
            self.touch(order, when)

    def release(self, order: Order) -> None:
        amount = order.locked_remaining
        if amount <= 0:
            return
        account = self.accounts[order.user_id]
        asset = self.market.quote if order.side == Side.BUY else self.market.base
        order.locked_remaining = Decimal(0)
        self.move(account, asset, Bucket.LOCKED, -amount)
        self.move(account, asset, Bucket.AVAILABLE, amount)

    def move(self, account: Account, asset: Asset, bucket: Bucket, amount: Decimal) -> None:
        """Add to the batch's net change of one bucket (one ledger line per bucket per batch)."""
        key = (account.pk, asset.pk, bucket.value)
        prev = self.net.get(key)
        self.net[key] = Line(account, asset, bucket, amount + (prev.amount if prev else 0))

    def write(self) -> None:
        bulk_insert_values(TradeRow, TRADE_COLUMNS, self.trades)
        bulk_update_fields(list(self.changed.values()), ORDER_FIELDS)
        lines = [line for _, line in sorted(self.net.items()) if line.amount != 0]
        if lines:
            first, last = self.entries[0].entry_id, self.entries[-1].entry_id
            post_entries(
                [
                    Posting(
                        reason=JournalReason.SETTLEMENT,
                        reference=f"clearing:{self.market.symbol}:{first}..{last}",
                        lines=lines,
                    )
                ],
                savepoint=False,
            )


def _locked_checkpoint(symbol: str) -> Checkpoint:
    """The market's checkpoint row, locked until the transaction ends. Call inside one."""
    checkpoint, _ = Checkpoint.objects.select_for_update().get_or_create(symbol=symbol)
    return checkpoint


def _move_checkpoint(checkpoint: Checkpoint, entry_id: str) -> None:
    checkpoint.last_entry_id = entry_id
    checkpoint.save(update_fields=["last_entry_id", "updated_at"])


def apply_entries(market: Market, entries: Sequence[OutputEntry]) -> BatchResult:
    """Apply the entries not yet applied, and advance the checkpoint, in one transaction."""
    result = BatchResult()
    with transaction.atomic():
        checkpoint = _locked_checkpoint(market.symbol)
        done_up_to = parse_entry_id(checkpoint.last_entry_id)
        fresh = [e for e in entries if parse_entry_id(e.entry_id) > done_up_to]
        result.skipped = len(entries) - len(fresh)
        if not fresh:
            return result
        batch = _Batch(market, fresh)
        batch.run()
        batch.write()
        _move_checkpoint(checkpoint, fresh[-1].entry_id)
    result.applied = len(fresh)
    result.trades = len(batch.trades)
    result.trade_rows = batch.trades
    result.orders = batch.changed
    result.balances = {
        (o.user_id, asset.pk)
        for o in batch.changed.values()
        for asset in (market.base, market.quote)
    }
    return result


def advance_checkpoint(market: Market, entry_id: str) -> None:
    """Move the checkpoint past a parked entry (call inside the parking transaction)."""
    checkpoint = _locked_checkpoint(market.symbol)
    if parse_entry_id(entry_id) > parse_entry_id(checkpoint.last_entry_id):
        _move_checkpoint(checkpoint, entry_id)
