"""Spot settlement: apply a batch of engine output entries to orders, trades and balances.

Trades are inserted, orders updated, balances moved and unused locks
released inside the runner's batch transaction, which also advances the
market's checkpoint (``exchange.clearing.batch``): all or nothing. The batch is one
settlement journal entry with one line per touched (account, asset, bucket):
the per-trade detail (amounts, both fees) is the Trade row itself.
Order rows are locked in id order, balance rows in (account, asset) order.

This is the clearing hot path (see bench/RESULTS.md): orders are read as
``LockedOrder`` values with times in integers (``locked_orders``), net
balance changes are summed per (account, asset, bucket) and turned into
ledger lines once per batch, trades go in with ``COPY`` on PostgreSQL
(ADR 0006), its text made per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction

from exchange.clearing.errors import ClearingError
from exchange.clearing.locked_orders import LockedOrder, lock_orders, write_orders
from exchange.core.bulk import bulk_copy_text, bulk_insert_values
from exchange.core.money import MONEY_CONTEXT, decimal_places
from exchange.markets.filters import price_to_ticks, qty_to_lots, quote_unit
from exchange.markets.models import Market
from exchange.markets.selectors import FeeRates, fee_rates_for_users
from exchange.orders.models import Order, OrderAmendment, OrderStatus, Side
from exchange.orders.models import Trade as TradeRow
from exchange.wallets.ledger import Line, Posting, post_entries, system_account, user_accounts
from exchange.wallets.models import Account, AccountKind, Bucket, JournalReason
from matching_client import (
    CommandType,
    DoneReason,
    OrderDone,
    OutputEntry,
    ResultCode,
    StopTriggered,
    Trade,
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
NOT_STARTED = (OrderStatus.NEW, OrderStatus.PENDING_TRIGGER)

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

NetKey = tuple[int, int, Bucket]  # (account id, asset id, bucket)
# Per order in a batch: (user id, maker rate, taker rate as integer ratios, the
# account's net keys: quote locked, quote available, base locked, base available).
_Party = tuple[int, tuple[int, int], tuple[int, int], tuple[NetKey, NetKey, NetKey, NetKey]]
_BUY = EngineSide.BUY
_PLACE = CommandType.PLACE
_REPLACE = CommandType.REPLACE
_AMEND = CommandType.AMEND
_OK = ResultCode.OK
_PLACE_LIST = CommandType.PLACE_LIST
_ENTRY_COMMANDS = (_PLACE, _REPLACE, _PLACE_LIST)  # commands whose entry answers a new order
_BUY_SIDE = Side.BUY
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)
_LOCKED, _AVAILABLE = Bucket.LOCKED, Bucket.AVAILABLE
_ZERO = Decimal(0)


@dataclass
class BatchResult:
    """What changed, for the user-event fan-out after commit (``user_events``)."""

    trades: int = 0
    orders: dict[int, LockedOrder] = field(default_factory=dict)
    balances: set[tuple[int, int]] = field(default_factory=set)  # (user_id, asset_id)
    # In TRADE_COLUMNS order, created_at in Unix milliseconds.
    trade_rows: list[tuple[object, ...]] = field(default_factory=list)

    @property
    def has_news(self) -> bool:
        """Whether a user has something to hear: a changed order."""
        return bool(self.orders)


def _atoms_per(unit: Decimal, scale: int) -> int:
    """``unit`` in units of 10**-scale (exact: scale covers the unit's decimals)."""
    return int(unit.scaleb(scale, MONEY_CONTEXT))


class _Asset:
    """Integer arithmetic for one asset of a batch: amounts in atoms of 10**-scale.

    The scale covers the asset's precision and the market's unit for it, so
    every amount (a trade's base or quote, a fee rounded up to the precision)
    is an exact integer; a Decimal is made once per distinct amount of the
    batch (trades repeat their sizes and fees) and per ledger line.
    """

    def __init__(self, precision: int, unit: Decimal) -> None:
        self.scale = max(precision, decimal_places(unit))
        self.unit = _atoms_per(unit, self.scale)  # atoms per engine unit (lot, quote unit)
        self.fee_quantum = 10 ** (self.scale - precision)  # fees round up to the precision
        self._decimals: dict[int, Decimal] = {}  # a batch's trades repeat the same amounts

    def fee(self, atoms: int, rate: tuple[int, int]) -> int:
        """``atoms * rate`` rounded up to the precision, at most ``atoms`` (rates are >= 0)."""
        num, den = rate
        quantum = self.fee_quantum
        return min(atoms, -(-atoms * num // (den * quantum)) * quantum)

    def decimal(self, atoms: int) -> Decimal:
        value = self._decimals.get(atoms)
        if value is None:
            value = self._decimals[atoms] = Decimal(atoms).scaleb(-self.scale, MONEY_CONTEXT)
        return value


class _Batch:
    def __init__(self, market: Market, entries: Sequence[OutputEntry]) -> None:
        self.market = market
        self.entries = entries
        self.orders: dict[int, LockedOrder] = {}
        self.changed: dict[int, LockedOrder] = {}
        self.trades: list[tuple[object, ...]] = []  # in TRADE_COLUMNS order, times in ms
        self.net: dict[NetKey, Decimal] = {}
        self.net_atoms: dict[NetKey, int] = {}  # the trades' part of ``net``, in asset atoms
        self.rates: dict[int, FeeRates] = {}
        self.accounts: dict[int, Account] = {}  # by user id
        self.fee_account = system_account(AccountKind.FEE_INCOME)
        self.base_id, self.quote_id = market.base_id, market.quote_id
        self.tick, self.step = market.tick_size, market.step_size
        self.quote_unit = quote_unit(market)
        self.market_id = market.pk
        fee = self.fee_account.pk  # fees go to its available quote and base
        self.fee_quote, self.fee_base = (
            (fee, self.quote_id, _AVAILABLE),
            (fee, self.base_id, _AVAILABLE),
        )
        self.base = _Asset(market.base.precision, self.step)
        self.quote = _Asset(market.quote.precision, self.quote_unit)
        self.prices: dict[int, Decimal] = {}  # trade price by engine ticks
        self.amendments: list[OrderAmendment] = []  # decided in this batch
        self.siblings: dict[int, int] = {}  # OCO leg id -> the other leg's id (loaded legs)

    def _order_ids(self) -> set[int]:
        ids: set[int] = set()
        add = ids.add
        for entry in self.entries:
            if (
                entry.command in _ENTRY_COMMANDS
                and entry.order_id
                or entry.command is _AMEND
                and entry.result is _OK
            ):
                add(entry.order_id)
            for event in entry.events:
                if type(event) is Trade:
                    add(event.maker_order_id)
                    add(event.taker_order_id)
                elif type(event) is OrderDone or type(event) is StopTriggered:
                    add(event.order_id)
        return ids

    def load(self) -> None:
        ids = self._order_ids()
        heads = [e.order_id for e in self.entries if e.command is _PLACE_LIST and e.order_id]
        if heads:  # a PLACE_LIST entry names its first leg only
            lists = Order.objects.filter(pk__in=heads).values("order_list_id")
            ids.update(Order.objects.filter(order_list_id__in=lists).values_list("pk", flat=True))
        self.orders = lock_orders(ids, self.market)
        self.siblings = _siblings(self.orders.values())
        users = {o.user_id for o in self.orders.values()}
        self.accounts = user_accounts(users)
        self.rates = fee_rates_for_users(user_ids=users, market=self.market)

    def order(self, order_id: int) -> LockedOrder:
        try:
            return self.orders[order_id]
        except KeyError:
            raise ClearingError(
                f"order {order_id} is not an order of {self.market.symbol}"
            ) from None

    def run(self) -> None:
        self.load()
        self.compute()

    def _parties(self) -> dict[int, _Party]:
        """Per order id: what a fill needs of its owner (read once per batch, not per fill)."""
        base, quote = self.base_id, self.quote_id
        users: dict[int, _Party] = {}
        for user_id, account in self.accounts.items():
            rates = self.rates.get(user_id)
            if rates is None:
                continue
            a = account.pk
            keys = (
                (a, quote, _LOCKED),
                (a, quote, _AVAILABLE),
                (a, base, _LOCKED),
                (a, base, _AVAILABLE),
            )
            maker, taker = rates.maker.as_integer_ratio(), rates.taker.as_integer_ratio()
            users[user_id] = (user_id, maker, taker, keys)
        return {order_id: users[order.user_id] for order_id, order in self.orders.items()}

    def compute(self) -> None:
        """Apply the entries to the loaded orders, in memory."""
        self.parties = self._parties()
        on_place, on_trade = self.on_place_result, self.on_trade
        on_done, on_stop = self.on_done, self.on_stop_triggered
        for entry in self.entries:
            when = int(entry.entry_id.partition("-")[0])  # Unix milliseconds
            if entry.command is _AMEND:
                self.on_amended(entry, when)
                continue
            if entry.command in _ENTRY_COMMANDS and entry.order_id:
                on_place(entry, entry.order_id, when)
                if entry.command is _PLACE_LIST and entry.order_id in self.siblings:
                    on_place(entry, self.siblings[entry.order_id], when)
            if self.siblings and entry.events:
                self.follow_list_locks(entry)
            if entry.command is _REPLACE and entry.order_id and entry.result is ResultCode.OK:
                self.on_replaced(entry, when)
                continue
            for event in entry.events:
                if type(event) is Trade:
                    on_trade(event, when)
                elif type(event) is OrderDone:
                    on_done(event, when)
                elif type(event) is StopTriggered:
                    on_stop(event, when)

    def on_place_result(self, entry: OutputEntry, order_id: int, when: int) -> None:
        order = self.orders.get(order_id) or self.order(order_id)
        if order.accepted:
            return
        order.accepted, order.accepted_ms = True, when
        if entry.result not in ACCEPTED and order.status in NOT_STARTED:
            order.status = OrderStatus.REJECTED
            order.reject_reason = entry.result.name
            order.done_ms = when
            self.release(order_id, order)
        order.updated_ms = when
        self.changed[order_id] = order

    def on_trade(self, t: Trade, when: int) -> None:
        maker_id, taker_id = t.maker_order_id, t.taker_order_id
        orders = self.orders
        maker = orders.get(maker_id) or self.order(maker_id)
        taker = orders.get(taker_id) or self.order(taker_id)
        base, quote_asset = self.base, self.quote
        qty_atoms, quote_atoms = t.qty * base.unit, t.quote * quote_asset.unit
        qty, quote = base.decimal(qty_atoms), quote_asset.decimal(quote_atoms)
        buyer_is_taker = t.taker_side is _BUY
        if buyer_is_taker:
            buyer_id, buyer, seller_id, seller = taker_id, taker, maker_id, maker
        else:
            buyer_id, buyer, seller_id, seller = maker_id, maker, taker_id, taker
        parties = self.parties
        buyer_user, buyer_maker_rate, buyer_taker_rate, b = parties[buyer_id]
        seller_user, seller_maker_rate, seller_taker_rate, s = parties[seller_id]
        # Rounded up to the asset's precision, never more than what the side receives.
        buyer_fee_atoms = base.fee(
            qty_atoms, buyer_taker_rate if buyer_is_taker else buyer_maker_rate
        )
        seller_fee_atoms = quote_asset.fee(
            quote_atoms, seller_maker_rate if buyer_is_taker else seller_taker_rate
        )
        buyer_fee = base.decimal(buyer_fee_atoms)
        seller_fee = quote_asset.decimal(seller_fee_atoms)

        changed = self.changed
        for order_id, order, spent in ((buyer_id, buyer, quote), (seller_id, seller, qty)):
            if order.locked_remaining < spent:
                raise ClearingError(f"trade {t.trade_id} spends more than order {order_id} locked")
            order.locked_remaining -= spent
            order.executed_qty += qty
            order.cumulative_quote_qty += quote
            if order.status in NOT_STARTED:
                order.status = OrderStatus.PARTIALLY_FILLED
            if not order.accepted:
                order.accepted, order.accepted_ms = True, when
            order.updated_ms = when
            changed[order_id] = order

        base_id, quote_id = self.base_id, self.quote_id
        maker_user, taker_user = (
            (seller_user, buyer_user) if buyer_is_taker else (buyer_user, seller_user)
        )
        price = self.prices.get(t.price)
        if price is None:
            price = self.prices[t.price] = self.tick * t.price
        self.trades.append(
            (
                self.market_id,
                t.trade_id,
                price,
                qty,
                quote,
                maker_id,
                taker_id,
                maker_user,
                taker_user,
                not buyer_is_taker,
                seller_fee if buyer_is_taker else buyer_fee,
                quote_id if buyer_is_taker else base_id,
                buyer_fee if buyer_is_taker else seller_fee,
                base_id if buyer_is_taker else quote_id,
                when,
            )
        )
        # The net keys: quote locked, quote available, base locked, base available.
        net = self.net_atoms
        key = b[0]
        net[key] = net.get(key, 0) - quote_atoms
        key = s[1]
        net[key] = net.get(key, 0) + quote_atoms - seller_fee_atoms
        key = self.fee_quote
        net[key] = net.get(key, 0) + seller_fee_atoms
        key = s[2]
        net[key] = net.get(key, 0) - qty_atoms
        key = b[3]
        net[key] = net.get(key, 0) + qty_atoms - buyer_fee_atoms
        key = self.fee_base
        net[key] = net.get(key, 0) + buyer_fee_atoms

    def on_done(self, done: OrderDone, when: int) -> None:
        order = self.orders.get(done.order_id) or self.order(done.order_id)
        unit = self.quote_unit if order.side == _BUY_SIDE else self.step
        unused = unit * done.unused_lock
        if unused != order.locked_remaining:
            raise ClearingError(
                f"order {done.order_id}: engine returns {unused} unused, database holds {order.locked_remaining}"
            )
        order.status = DONE_STATUS[done.reason]
        order.done_ms = order.updated_ms = when
        if not order.accepted:
            order.accepted, order.accepted_ms = True, when
        self.release(done.order_id, order)
        self.changed[done.order_id] = order

    def on_replaced(self, entry: OutputEntry, when: int) -> None:
        """Apply an accepted REPLACE's events. Its CANCELED DONE is the replaced order (the
        new order's own DONEs are FILLED or EXPIRED), or an OCO leg whose other leg the
        new order traded with (``follow_list_locks`` moved its hold already): the part of
        the replaced order's lock its DONE does not report unused went to the new order,
        in the same locked bucket."""
        new_id, siblings = entry.order_id, self.siblings
        for event in entry.events:
            if type(event) is Trade:
                self.on_trade(event, when)
            elif type(event) is OrderDone:
                if (
                    event.reason is DoneReason.CANCELED
                    and event.order_id != new_id
                    and event.order_id not in siblings
                ):
                    self.carry_lock(self.order(event.order_id), new_id, event.unused_lock)
                self.on_done(event, when)
            elif type(event) is StopTriggered:
                self.on_stop_triggered(event, when)

    def follow_list_locks(self, entry: OutputEntry) -> None:
        """Before an entry's events: an OCO leg the engine canceled because its other
        leg acted reports no unused lock; the list's hold, on whichever leg's row,
        moves to the leg that acted, so its trades spend it and its DONE returns it."""
        siblings = self.siblings
        for event in entry.events:
            if (
                type(event) is OrderDone
                and event.reason is DoneReason.CANCELED
                and event.order_id in siblings
            ):
                self.carry_lock(
                    self.order(event.order_id), siblings[event.order_id], event.unused_lock
                )

    def carry_lock(self, old: LockedOrder, new_id: int, unused_lock: int) -> None:
        """Move to ``new_id`` what ``old`` holds beyond its reported unused lock; no
        balance changes (both amounts are in the user's locked bucket)."""
        unit = self.quote_unit if old.side == _BUY_SIDE else self.step
        carried = old.locked_remaining - unused_lock * unit
        if carried <= 0:
            return
        new = self.order(new_id)
        old.locked_remaining -= carried
        new.locked_remaining += carried
        self.changed[new_id] = new
        self.changed[old.id] = old

    def on_amended(self, entry: OutputEntry, when: int) -> None:
        """Record the engine's answer on the order's oldest undecided amendment; an
        accepted one releases the lock of the removed quantity (price * removed for a
        buy, as the engine computed it, removed for a sell) and changes the order."""
        amendment = (
            OrderAmendment.objects.filter(order_id=entry.order_id, result="").order_by("pk").first()
        )
        if amendment is None:  # not sent by order entry (an operator's command)
            return
        amendment.result, amendment.decided_at = entry.result.name, _EPOCH + when * _MS
        self.amendments.append(amendment)
        if entry.result is not _OK:
            return
        order = self.order(entry.order_id)
        lots = qty_to_lots(self.market, amendment.old_qty - amendment.new_qty)
        if order.side == _BUY_SIDE:
            assert order.price is not None
            release = self.quote_unit * (price_to_ticks(self.market, order.price) * lots)
            locked, available = self.parties[entry.order_id][3][:2]
        else:
            release = self.step * lots
            locked, available = self.parties[entry.order_id][3][2:]
        if order.locked_remaining < release:
            raise ClearingError(f"amend of order {order.id} releases more than it holds")
        order.locked_remaining -= release
        net = self.net
        net[locked] = net.get(locked, _ZERO) - release
        net[available] = net.get(available, _ZERO) + release
        order.orig_qty = amendment.new_qty
        order.client_order_id = amendment.new_client_order_id
        order.updated_ms = when
        self.changed[order.id] = order

    def write_amendments(self) -> None:
        """The answers, and what ``write_orders`` does not write of an amended order."""
        for amendment in self.amendments:
            amendment.save(update_fields=["result", "decided_at"])
            if amendment.result != _OK.name:
                continue
            orders = Order.objects.filter(pk=amendment.order_id)
            orders.update(orig_qty=amendment.new_qty)
            if amendment.new_client_order_id == amendment.old_client_order_id:
                continue
            try:
                with transaction.atomic():
                    orders.update(client_order_id=amendment.new_client_order_id)
            except IntegrityError:  # taken since entry checked it: the order keeps its id
                self.orders[amendment.order_id].client_order_id = amendment.old_client_order_id

    def on_stop_triggered(self, event: StopTriggered, when: int) -> None:
        order = self.order(event.order_id)
        if order.status == OrderStatus.PENDING_TRIGGER:
            order.status = OrderStatus.NEW
            order.updated_ms = when
            self.changed[event.order_id] = order

    def release(self, order_id: int, order: LockedOrder) -> None:
        amount = order.locked_remaining
        if amount <= 0:
            return
        keys = self.parties[order_id][3]
        locked, available = (keys[0], keys[1]) if order.side == _BUY_SIDE else (keys[2], keys[3])
        order.locked_remaining = _ZERO
        net, spent = self.net, -amount  # one ledger line per bucket per batch
        net[locked] = net[locked] + spent if locked in net else spent
        net[available] = net[available] + amount if available in net else amount

    def net_changes(self) -> dict[NetKey, Decimal]:
        """``net`` with the trades' integer part added."""
        net = dict(self.net)
        assets = {self.base_id: self.base, self.quote_id: self.quote}
        for key, atoms in self.net_atoms.items():
            amount = assets[key[1]].decimal(atoms)
            net[key] = net[key] + amount if key in net else amount
        return net

    def lines(self) -> list[Line]:
        """The batch's non-zero net changes as ledger lines, in (account, asset, bucket) order."""
        accounts = {a.pk: a for a in self.accounts.values()}
        accounts[self.fee_account.pk] = self.fee_account
        assets = {self.base_id: self.market.base, self.quote_id: self.market.quote}
        return [
            Line(accounts[account_id], assets[asset_id], bucket, amount)
            for (account_id, asset_id, bucket), amount in sorted(self.net_changes().items())
            if amount != 0
        ]

    def write(self) -> None:
        self.write_trades()
        write_orders(list(self.changed.values()))
        self.write_amendments()
        lines = self.lines()
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

    def write_trades(self) -> None:
        """INSERT the trades; on PostgreSQL as COPY text made per row, not per value."""
        if not self.trades:
            return
        times: dict[Any, dt.datetime] = {}
        for row in self.trades:
            ms: Any = row[-1]
            if ms not in times:
                times[ms] = _EPOCH + ms * _MS
        if connection.vendor != "postgresql":
            rows = [(*row[:-1], times[row[-1]]) for row in self.trades]
            bulk_insert_values(TradeRow, TRADE_COLUMNS, rows)
            return
        # Every value is an int, a Decimal (whose str() numeric input reads
        # exactly), a bool or a time: nothing to escape.
        stamps = {ms: when.isoformat() for ms, when in times.items()}
        bulk_copy_text(
            TradeRow,
            TRADE_COLUMNS,
            "".join(
                [
                    f"{m}\t{i}\t{p}\t{q}\t{qq}\t{mo}\t{to}\t{mu}\t{tu}\t{'t' if bm else 'f'}"
                    f"\t{mc}\t{mca}\t{tc}\t{tca}\t{stamps[at]}\n"  # type: ignore[index]
                    for m, i, p, q, qq, mo, to, mu, tu, bm, mc, mca, tc, tca, at in self.trades
                ]
            ),
        )


def _siblings(orders: Iterable[LockedOrder]) -> dict[int, int]:
    """Both legs' ids of every OCO with two legs among ``orders``, each to the other."""
    by_list: dict[int, list[int]] = {}
    for order in orders:
        if order.order_list_id is not None:
            by_list.setdefault(order.order_list_id, []).append(order.id)
    pairs: dict[int, int] = {}
    for legs in by_list.values():
        if len(legs) == 2:
            a, b = legs
            pairs[a], pairs[b] = b, a
    return pairs


def settle_spot(market: Market, entries: Sequence[OutputEntry]) -> BatchResult:
    """Settle entries not cleared before, in engine order: call inside the batch transaction.

    The runner (``exchange.clearing.batch``) has locked the checkpoint and
    dropped the entries at or below it; it moves the checkpoint afterwards.
    """
    batch = _Batch(market, entries)
    batch.run()
    batch.write()
    users = {o.user_id for o in batch.changed.values()}
    return BatchResult(
        trades=len(batch.trades),
        orders=batch.changed,
        balances={(u, asset_id) for u in users for asset_id in (batch.base_id, batch.quote_id)},
        trade_rows=batch.trades,
    )
