"""Settle a margin group's engine output into the database (issue 16, item 7).

Per entry: the command's outcome (orders accepted or refused, transfers decided,
leverage set), then its events in order: trades (with both sides' commission and
realized PnL as income, the PnL also on the position's running total), order ends,
positions, wallet changes (transfers, liquidation fees, insurance clears), funding and
the insurance fund. The wallet of every user is followed through the batch: each
POSITION or BALANCE event carries the engine's wallet, and it must equal the wallet
plus the income recorded so far, else the entry is poison (the database and the engine
disagree). Auto-deleveraging has no fill report of its own: its realized PnL is the
wallet move it causes.

The spot ledger sees only what crosses the boundary: a transfer out credits the
user's spot wallet from the futures-collateral account once the engine has
accepted it (a refused transfer in is given back), and the batch's commissions
move from the collateral account to fee income.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.utils import timezone

from exchange.clearing.errors import ClearingError
from exchange.clearing.futures.forced import ForcedCloses
from exchange.clearing.futures.output import FuturesEntry
from exchange.clearing.futures.rows import update_rows
from exchange.futures import units
from exchange.futures.models import (
    AutoCloseType,
    Contract,
    FuturesOrder,
    FuturesOrderAmendment,
    FuturesOrderStatus,
    FuturesTrade,
    FuturesTransfer,
    FuturesWallet,
    Income,
    IncomeType,
    InsuranceFund,
    IsolatedMarginChange,
    MarginType,
    OrderSide,
    Position,
    TransferDirection,
    TransferStatus,
)
from exchange.wallets.ledger import Line, Posting, post_entries, system_account, user_accounts
from exchange.wallets.models import AccountKind, Asset, Bucket, JournalReason
from matching_client import entry_ms
from matching_engine.futures.protocol import (
    LIQUIDATION_ID_BASE,
    BalanceReason,
    DoneReason,
    FuturesCommand,
    FuturesEvent,
    FuturesResult,
)
from matching_engine.futures.protocol import MarginType as EngineMarginType

_DONE_STATUS = {
    DoneReason.FILLED: FuturesOrderStatus.FILLED,
    DoneReason.CANCELED: FuturesOrderStatus.CANCELED,
    DoneReason.LIQUIDATED: FuturesOrderStatus.CANCELED,
    DoneReason.REDUCE_ONLY: FuturesOrderStatus.CANCELED,
    DoneReason.EXPIRED: FuturesOrderStatus.EXPIRED,
    DoneReason.STP_EXPIRED: FuturesOrderStatus.EXPIRED,
    DoneReason.TRIGGER_REJECTED: FuturesOrderStatus.EXPIRED,
}
_BALANCE_INCOME = {
    BalanceReason.DEPOSIT: IncomeType.TRANSFER,
    BalanceReason.WITHDRAW: IncomeType.TRANSFER,
    BalanceReason.LIQUIDATION_FEE: IncomeType.LIQUIDATION_FEE,
    BalanceReason.INSURANCE_CLEAR: IncomeType.INSURANCE_CLEAR,
}
_IGNORED = (FuturesResult.DUPLICATE,)
# Events whose second field is a user.
_USER_FIRST = (
    FuturesEvent.POSITION,
    FuturesEvent.BALANCE,
    FuturesEvent.ISOLATED_MARGIN,
)

# SET_LEVERAGE's, SET_MARGIN_TYPE's and MARK_PRICE's outputs do not repeat the value
# set: the command itself (same ID as its output) is read back, and this gives its last
# field.
ReadCommandValue = Callable[[str], int]


@dataclass(frozen=True)
class LiquidationOrder:
    """An IOC the engine sent to close a liquidated position (LIQUIDATION_ORDER); it has
    no row: its fills are the batch's trades whose taker it is."""

    order_id: int
    user_id: int
    contract_id: int
    side: str
    price: Decimal
    quantity: Decimal
    time: datetime


@dataclass
class FuturesBatch:
    """What a batch changed: the runner's counters and the users' events.

    ``positions`` are those a fill, funding, margin move or margin-type change touched
    (an account update); ``leverage`` is (user, contract id, leverage) per SET_LEVERAGE,
    ``margin_type_changed`` the users whose margin type changed, ``marks`` the batch's
    new mark prices by contract id.
    """

    asset: Asset
    trades: int = 0
    wallets: dict[int, Decimal] = field(default_factory=dict)
    positions: dict[tuple[int, int], Position] = field(default_factory=dict)
    orders: list[FuturesOrder] = field(default_factory=list)
    incomes: list[Income] = field(default_factory=list)
    fills: list[FuturesTrade] = field(default_factory=list)  # the batch's trades, engine order
    liquidation_orders: list[LiquidationOrder] = field(default_factory=list)
    leverage: list[tuple[int, int, int]] = field(default_factory=list)
    margin_type_changed: set[int] = field(default_factory=set)
    marks: dict[int, Decimal] = field(default_factory=dict)
    amended: set[int] = field(default_factory=set)  # ids of orders a MODIFY changed


class _Batch:
    """The batch's working state: rows loaded once, changed in memory, written at the end."""

    def __init__(self, asset: Asset, contracts: dict[int, Contract]) -> None:
        self.asset = asset
        self.contracts = contracts
        self.orders: dict[int, FuturesOrder] = {}
        self.dirty_orders: set[int] = set()
        self.amended: set[int] = set()
        self.wallets: dict[int, Decimal] = {}
        self.positions: dict[tuple[int, int], Position] = {}
        self.trades: list[FuturesTrade] = []
        self.incomes: list[Income] = []
        self.fees = Decimal(0)
        self.postings: list[Posting] = []
        self.fund: Decimal | None = None
        self.adl_pending: dict[int, int] = {}  # user -> contract, a POSITION owed its PnL
        self.stored_wallets: dict[int, FuturesWallet] = {}
        self.touched_positions: set[tuple[int, int]] = set()
        self.forced = ForcedCloses()
        self.leverage_positions: set[tuple[int, int]] = set()  # only their leverage changed
        self.liquidation_orders: list[LiquidationOrder] = []
        self.leverage: list[tuple[int, int, int]] = []
        self.margin_type_changed: set[int] = set()
        self.marks: dict[int, Decimal] = {}

    def amount(self, atoms: int) -> Decimal:
        return units.amount_of_asset(self.asset, atoms)

    def preload(self, entries: Sequence[FuturesEntry]) -> None:
        """Read the batch's orders, wallets and positions in three queries, not one per event."""
        order_ids: set[int] = set()
        users: set[int] = set()
        for entry in entries:
            users.add(entry.user_id)
            if entry.command == FuturesCommand.PLACE:
                order_ids.add(entry.id)
            for ev in entry.events:
                kind = ev[0]
                if kind == FuturesEvent.TRADE:
                    order_ids.update((ev[6], ev[8]))
                    users.update((ev[7], ev[9]))
                elif kind in (FuturesEvent.DONE, FuturesEvent.STOP_TRIGGERED, FuturesEvent.AMENDED):
                    order_ids.add(ev[1])
                elif kind == FuturesEvent.LIQUIDATION_ORDER:
                    users.add(ev[2])
                elif kind == FuturesEvent.FUNDING:
                    users.add(ev[4])
                elif kind == FuturesEvent.ADL:
                    users.update((ev[4], ev[5]))
                elif kind in _USER_FIRST:
                    users.add(ev[1])
        wanted = [i for i in order_ids if i < LIQUIDATION_ID_BASE]
        self.orders.update(FuturesOrder.objects.in_bulk(wanted))
        self.stored_wallets = {
            w.user_id: w
            for w in FuturesWallet.objects.filter(asset=self.asset, user_id__in=list(users))
        }
        for p in Position.objects.filter(
            user_id__in=list(users), contract__margin_asset=self.asset
        ):
            self.positions[(p.user_id, p.contract_id)] = p

    def wallet(self, user: int) -> Decimal:
        if user not in self.wallets:
            row = self.stored_wallets.get(user)
            self.wallets[user] = row.balance if row else Decimal(0)
        return self.wallets[user]

    def income(
        self,
        entry: FuturesEntry,
        time: datetime,
        seq: int,
        user: int,
        kind: IncomeType,
        amount: Decimal,
        contract: Contract | None = None,
        info: str = "",
    ) -> None:
        if amount == 0:
            return
        self.wallets[user] = self.wallet(user) + amount
        self.incomes.append(
            Income(
                time=time,
                entry_id=entry.entry_id,
                seq=seq,
                user_id=user,
                asset=self.asset,
                contract=contract,
                income_type=kind,
                amount=amount,
                info=info,
            )
        )

    def realized(
        self,
        entry: FuturesEntry,
        time: datetime,
        seq: int,
        user: int,
        contract: Contract,
        amount: Decimal,
        info: str,
    ) -> None:
        """Book realized PnL: its income row and the position's running total (Binance's
        accumulated realized, before fees), in the batch that clears it, so a replay
        skipped by the checkpoint cannot add it twice."""
        if amount == 0:
            return
        self.income(entry, time, seq, user, IncomeType.REALIZED_PNL, amount, contract, info)
        self.position(user, contract).realized_pnl += amount

    def check_wallet(self, entry: FuturesEntry, user: int, atoms: int) -> None:
        reported = self.amount(atoms)
        if self.wallet(user) != reported:
            raise ClearingError(
                f"{entry.entry_id}: user {user} wallet {self.wallet(user)} != engine {reported}"
            )

    def order(self, order_id: int) -> FuturesOrder | None:
        if order_id >= LIQUIDATION_ID_BASE:
            return None
        if order_id not in self.orders:
            row = FuturesOrder.objects.filter(pk=order_id).first()
            if row is None:
                raise ClearingError(f"unknown futures order {order_id}")
            self.orders[order_id] = row
        return self.orders[order_id]

    def position(self, user: int, contract: Contract, *, account: bool = True) -> Position:
        """The row to change; ``account``: the change is one an ACCOUNT_UPDATE shows."""
        key = (user, contract.pk)
        if key not in self.positions:  # preloaded if it exists
            self.positions[key] = Position(
                user_id=user, contract=contract, size=Decimal(0), cost=Decimal(0)
            )
        (self.touched_positions if account else self.leverage_positions).add(key)
        return self.positions[key]


def _time(entry: FuturesEntry) -> datetime:
    return datetime.fromtimestamp(entry_ms(entry.entry_id) / 1000, tz=UTC)


def settle_futures(
    asset: Asset,
    contracts: dict[int, Contract],
    entries: Sequence[FuturesEntry],
    read_value: ReadCommandValue,
) -> FuturesBatch:
    """Apply ``entries`` (not cleared before, in engine order); call inside the batch
    transaction that also moves the checkpoint."""
    batch = _Batch(asset, contracts)
    batch.preload(entries)
    for entry in entries:
        time = _time(entry)
        _command(batch, entry, read_value)
        for index, event in enumerate(entry.events):
            _event(batch, entry, time, index * 4, event)
    _write(batch)
    return FuturesBatch(
        asset=asset,
        trades=len(batch.trades),
        wallets=batch.wallets,
        positions={key: batch.positions[key] for key in batch.touched_positions},
        orders=[batch.orders[pk] for pk in sorted(batch.dirty_orders)],
        incomes=batch.incomes,
        fills=batch.trades,
        liquidation_orders=batch.liquidation_orders,
        leverage=batch.leverage,
        margin_type_changed=batch.margin_type_changed,
        marks=batch.marks,
        amended=batch.amended,
    )


def _command(batch: _Batch, entry: FuturesEntry, read_value: ReadCommandValue) -> None:
    c, r = entry.command, entry.result
    if r in _IGNORED:
        return
    if c == FuturesCommand.PLACE:
        order = batch.order(entry.id)
        if order is None or order.accepted:
            return
        order.accepted = True
        if r != FuturesResult.OK:
            order.status = FuturesOrderStatus.REJECTED
            order.reject_reason = _result_name(r)
        batch.dirty_orders.add(order.pk)
    elif c == FuturesCommand.MODIFY:
        _amendment_decided(entry)
    elif c == FuturesCommand.ADJUST_ISOLATED_MARGIN:
        _margin_change_decided(batch, entry)
    elif c in (FuturesCommand.DEPOSIT, FuturesCommand.WITHDRAW):
        _transfer_decided(batch, entry)
    elif c in (FuturesCommand.SET_LEVERAGE, FuturesCommand.SET_MARGIN_TYPE) and r == 0:
        contract = batch.contracts.get(entry.id)
        if contract is not None:
            leverage = c == FuturesCommand.SET_LEVERAGE
            position = batch.position(entry.user_id, contract, account=not leverage)
            value = read_value(entry.entry_id)
            if leverage:
                position.leverage = value
                batch.leverage.append((entry.user_id, contract.pk, value))
            else:
                position.margin_type = (
                    MarginType.ISOLATED
                    if value == EngineMarginType.ISOLATED
                    else MarginType.CROSSED
                )
                batch.margin_type_changed.add(entry.user_id)
    elif c == FuturesCommand.MARK_PRICE and r == 0:
        contract = batch.contracts.get(entry.id)
        try:
            ticks = read_value(entry.entry_id)
        except (IndexError, KeyError):  # the input was trimmed: only margin calls wait on it
            return
        if contract is not None:
            batch.marks[contract.pk] = units.price_of(contract, ticks)


def _result_name(result: int) -> str:
    try:
        return FuturesResult(result).name
    except ValueError:
        return str(result)


def _amendment_decided(entry: FuturesEntry) -> None:
    """The engine's answer to a MODIFY goes on the oldest undecided amendment of the order
    (one is in flight at a time, ``exchange.futures.modify``); the new price and quantity
    come as the AMENDED event."""
    amendment = (
        FuturesOrderAmendment.objects.filter(order_id=entry.id, result="").order_by("pk").first()
    )
    if amendment is not None:
        amendment.result = _result_name(entry.result)
        amendment.decided_at = _time(entry)  # the engine's time: a replay writes the same
        amendment.save(update_fields=["result", "decided_at"])


def _margin_change_decided(batch: _Batch, entry: FuturesEntry) -> None:
    """The engine's answer to ADJUST_ISOLATED_MARGIN goes on the user's undecided change
    in the contract (one is in flight at a time, ``exchange.futures.isolated_margin``)."""
    contract = batch.contracts.get(entry.id)
    if contract is None:
        return
    IsolatedMarginChange.objects.filter(user_id=entry.user_id, contract=contract, result="").update(
        result=_result_name(entry.result), decided_at=_time(entry)
    )


def _transfer_decided(batch: _Batch, entry: FuturesEntry) -> None:
    moved = FuturesTransfer.objects.select_for_update().filter(pk=entry.id).first()
    if moved is None or moved.status == TransferStatus.DONE:
        return  # not ours (a test's own request id), or decided before
    if moved.asset_id != batch.asset.pk or moved.user_id != entry.user_id:
        raise ClearingError(f"transfer {moved.pk} does not match its engine output")
    accepted = entry.result == FuturesResult.OK
    if not accepted and moved.status == TransferStatus.REFUSED:
        return
    collateral = system_account(AccountKind.FUTURES_COLLATERAL)
    user = user_accounts([moved.user_id])[moved.user_id]
    give_spot = (moved.direction == TransferDirection.OUT) == accepted
    if give_spot:
        # Out and accepted: the engine has debited the futures wallet. In and refused:
        # the spot debit made at request time is given back.
        batch.postings.append(
            Posting(
                reason=JournalReason.FUTURES_TRANSFER,
                reference=f"futures-transfer:{moved.pk}",
                lines=[
                    Line(collateral, batch.asset, Bucket.AVAILABLE, -moved.amount),
                    Line(user, batch.asset, Bucket.AVAILABLE, moved.amount),
                ],
            )
        )
    moved.status = TransferStatus.DONE if accepted else TransferStatus.REFUSED
    moved.refusal = "" if accepted else _result_name(entry.result)
    moved.decided_at = timezone.now()
    moved.save(update_fields=["status", "refusal", "decided_at"])


def _event(batch: _Batch, entry: FuturesEntry, time: datetime, seq: int, event: list[int]) -> None:
    kind = event[0]
    if kind == FuturesEvent.TRADE:
        _trade(batch, entry, time, seq, event)
    elif kind == FuturesEvent.DONE:
        _, order_id, _user, reason, _left = event
        order = batch.order(order_id)
        if order is not None:
            order.status = _DONE_STATUS.get(DoneReason(reason), FuturesOrderStatus.CANCELED)
            batch.dirty_orders.add(order.pk)
    elif kind == FuturesEvent.POSITION:
        _, user, cid, size, cost, wallet = event
        contract = batch.contracts[cid]
        if batch.adl_pending.pop(user, None) is not None:
            pnl = batch.amount(wallet) - batch.wallet(user)
            batch.realized(entry, time, seq, user, contract, pnl, "ADL")
        batch.check_wallet(entry, user, wallet)
        position = batch.position(user, contract)
        position.size = units.quantity_of(contract, size)
        position.cost = batch.amount(cost)
        position.updated_at = time
    elif kind == FuturesEvent.BALANCE:
        _, user, wallet, delta, reason = event
        income_kind = _BALANCE_INCOME[BalanceReason(reason)]
        batch.income(entry, time, seq, user, income_kind, batch.amount(delta))
        batch.check_wallet(entry, user, wallet)
    elif kind == FuturesEvent.FUNDING:
        _, cid, _rate, _mark, user, amount = event
        contract = batch.contracts[cid]
        batch.income(entry, time, seq, user, IncomeType.FUNDING_FEE, batch.amount(amount), contract)
    elif kind == FuturesEvent.ADL:
        _, cid, _price, _qty, liquidated, deleveraged = event
        batch.adl_pending[liquidated] = cid
        batch.adl_pending[deleveraged] = cid
        _adl_closes(batch, entry, time, event)
    elif kind == FuturesEvent.INSURANCE:
        batch.fund = batch.amount(event[1])
    elif kind == FuturesEvent.ISOLATED_MARGIN:
        _, user, cid, margin, wallet = event
        batch.check_wallet(entry, user, wallet)
        position = batch.position(user, batch.contracts[cid])
        position.isolated_margin = batch.amount(margin)
        position.updated_at = time
    elif kind == FuturesEvent.STOP_TRIGGERED:
        _, order_id, _user, _cid, _trigger, result = event
        order = batch.order(order_id)
        if order is not None:
            order.triggered = True
            if result:
                order.reject_reason = _result_name(result)
            batch.dirty_orders.add(order.pk)
    elif kind == FuturesEvent.AMENDED:
        _, order_id, _user, cid, price, orig_qty, _left, _kept = event
        order = batch.order(order_id)
        if order is not None:
            contract = batch.contracts[cid]
            order.price = units.price_of(contract, price)
            order.quantity = units.quantity_of(contract, orig_qty)
            batch.dirty_orders.add(order.pk)
            batch.amended.add(order.pk)
    elif kind == FuturesEvent.LIQUIDATION_ORDER:
        _, order_id, user, cid, side, price, qty = event
        contract = batch.contracts[cid]
        batch.liquidation_orders.append(
            LiquidationOrder(
                order_id=order_id,
                user_id=user,
                contract_id=contract.pk,
                side=OrderSide.BUY if side == 0 else OrderSide.SELL,
                price=units.price_of(contract, price),
                quantity=units.quantity_of(contract, qty),
                time=time,
            )
        )
    # LIQUIDATION and SNAPSHOT change nothing here: their effects come as the events above.


def _adl_closes(batch: _Batch, entry: FuturesEntry, time: datetime, event: list[int]) -> None:
    """An ADL closes the liquidated position (part of its LIQUIDATION order) against the
    counterparty's (its ADL order), both at the bankruptcy price. The sides come from the
    liquidated position as cleared so far (its POSITION event follows this one)."""
    _, cid, price, qty, liquidated, deleveraged = event
    contract = batch.contracts[cid]
    held = batch.positions.get((liquidated, contract.pk))
    long = held is not None and held.size > 0
    p, q = units.price_of(contract, price), units.quantity_of(contract, qty)
    quote = batch.amount(price * qty * units.multiplier(contract))
    for user, kind, side in (
        (liquidated, AutoCloseType.LIQUIDATION, OrderSide.SELL if long else OrderSide.BUY),
        (deleveraged, AutoCloseType.ADL, OrderSide.BUY if long else OrderSide.SELL),
    ):
        batch.forced.add(
            entry_id=entry.entry_id,
            time=time,
            user=user,
            contract=contract,
            kind=kind,
            side=side,
            price=p,
            qty=q,
            quote=quote,
        )


def _trade(batch: _Batch, entry: FuturesEntry, time: datetime, seq: int, event: list[int]) -> None:
    (_, cid, trade_seq, price, qty, side, t_order, t_user, m_order, m_user) = event[:10]
    t_fee, m_fee, t_pnl, m_pnl = event[10:14]
    contract = batch.contracts[cid]
    p, q = units.price_of(contract, price), units.quantity_of(contract, qty)
    quote = batch.amount(price * qty * units.multiplier(contract))
    batch.trades.append(
        FuturesTrade(
            time=time,
            contract=contract,
            trade_seq=trade_seq,
            price=p,
            qty=q,
            quote_qty=quote,
            taker_side=OrderSide.BUY if side == 0 else OrderSide.SELL,
            taker_order_id=t_order,
            maker_order_id=m_order,
            taker_user_id=t_user,
            maker_user_id=m_user,
            taker_fee=batch.amount(t_fee),
            maker_fee=batch.amount(m_fee),
            taker_realized_pnl=batch.amount(t_pnl),
            maker_realized_pnl=batch.amount(m_pnl),
            liquidation=t_order >= LIQUIDATION_ID_BASE,
            entry_id=entry.entry_id,
        )
    )
    if t_order >= LIQUIDATION_ID_BASE:
        batch.forced.add(
            entry_id=entry.entry_id,
            time=time,
            user=t_user,
            contract=contract,
            kind=AutoCloseType.LIQUIDATION,
            side=OrderSide.BUY if side == 0 else OrderSide.SELL,
            price=p,
            qty=q,
            quote=quote,
            engine_order_id=t_order,
        )
    info = f"trade {trade_seq}"
    for k, (user, fee, pnl, order_id) in enumerate(
        ((t_user, t_fee, t_pnl, t_order), (m_user, m_fee, m_pnl, m_order))
    ):
        batch.realized(entry, time, seq + 2 * k, user, contract, batch.amount(pnl), info)
        batch.income(
            entry,
            time,
            seq + 2 * k + 1,
            user,
            IncomeType.COMMISSION,
            -batch.amount(fee),
            contract,
            info,
        )
        batch.fees += batch.amount(fee)
        order = batch.order(order_id)
        if order is not None:
            order.executed_qty += q
            order.cum_quote += quote
            if order.status == FuturesOrderStatus.NEW:
                order.status = FuturesOrderStatus.PARTIALLY_FILLED
            if order.executed_qty == order.quantity:
                order.status = FuturesOrderStatus.FILLED
            batch.dirty_orders.add(order.pk)


def _write(batch: _Batch) -> None:
    now = timezone.now()
    FuturesTrade.objects.bulk_create(batch.trades)
    Income.objects.bulk_create(batch.incomes)
    batch.forced.write()
    if batch.dirty_orders:
        orders = [batch.orders[pk] for pk in sorted(batch.dirty_orders)]
        for order in orders:
            order.updated_at = now
        update_rows(
            FuturesOrder,
            orders,
            [
                "accepted",
                "status",
                "price",
                "quantity",
                "reject_reason",
                "triggered",
                "executed_qty",
                "cum_quote",
                "updated_at",
            ],
        )
    touched = [
        batch.positions[key] for key in sorted(batch.touched_positions | batch.leverage_positions)
    ]
    Position.objects.bulk_create([p for p in touched if p.pk is None])
    update_rows(
        Position,
        [p for p in touched if p.pk is not None],
        [
            "size",
            "cost",
            "leverage",
            "margin_type",
            "isolated_margin",
            "realized_pnl",
            "updated_at",
        ],
    )
    new_wallets, changed = [], []
    for user, balance in sorted(batch.wallets.items()):
        row = batch.stored_wallets.get(user)
        if row is None:
            new_wallets.append(
                FuturesWallet(user_id=user, asset=batch.asset, balance=balance, updated_at=now)
            )
        elif row.balance != balance:
            row.balance, row.updated_at = balance, now
            changed.append(row)
    FuturesWallet.objects.bulk_create(new_wallets)
    update_rows(FuturesWallet, changed, ["balance", "updated_at"])
    if batch.fund is not None:
        InsuranceFund.objects.update_or_create(
            asset=batch.asset, defaults={"balance": batch.fund, "updated_at": now}
        )
    if batch.fees:
        batch.postings.append(
            Posting(
                reason=JournalReason.FUTURES_FEES,
                reference=f"futures-fees:{batch.asset.code}",
                lines=[
                    Line(
                        system_account(AccountKind.FUTURES_COLLATERAL),
                        batch.asset,
                        Bucket.AVAILABLE,
                        -batch.fees,
                    ),
                    Line(
                        system_account(AccountKind.FEE_INCOME),
                        batch.asset,
                        Bucket.AVAILABLE,
                        batch.fees,
                    ),
                ],
            )
        )
    if batch.postings:
        post_entries(batch.postings)
