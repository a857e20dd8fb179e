"""The deterministic state machine of one futures margin group.

`MarginGroup.apply(blob)` decodes a command (docs/matching-protocol.md, "Futures"),
executes it, then liquidates every account that is below maintenance margin at the
current marks, and returns ONE encoded output entry. So an account that a MARK_PRICE
(or a trade, or FUNDING) puts under water is closed before the next command is read.
Integer arithmetic only; nothing here reads a clock, a random source or the environment.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import deque
from collections.abc import Callable
from typing import Any, Final

import msgpack

from ..book import Event, InternalStateError, OrderBook
from ..book_fast import FastOrderBook
from ..order import BUY, SELL, Order
from ..protocol import DEFAULT_DEDUPE_WINDOW, MAX_INT, VERSION, EventType
from .account import DEFAULT_LEVERAGE, Account, Position
from .conditional import CONDITIONAL_TYPES, TRAILING, Stop, StopBook
from .contract import MAX_LEVERAGE, Contract
from .protocol import (
    LIQUIDATION_ID_BASE,
    RATE_SCALE,
    BalanceReason,
    ContractStatus,
    DoneReason,
    FuturesCommand,
    FuturesEvent,
    FuturesOrderType,
    FuturesResult,
    MarginType,
    WorkingType,
)

# 2 adds isolated margin and pending conditional orders; version 1 snapshots still load.
SNAPSHOT_VERSION = 2
Output = list[Any]
BookFactory = Callable[[], OrderBook]

# Plain ints on the hot path, Final so that the compiled core inlines them: an IntEnum
# member, or a module global that is not Final, costs a dictionary lookup per use.
# Commands, result codes, events, reasons:
_PLACE: Final = int(FuturesCommand.PLACE)
_CANCEL: Final = int(FuturesCommand.CANCEL)
_MODIFY: Final = int(FuturesCommand.MODIFY)
_SNAPSHOT: Final = int(FuturesCommand.SNAPSHOT)
_CONTRACT_CREATE: Final = int(FuturesCommand.CONTRACT_CREATE)
_DEPOSIT: Final = int(FuturesCommand.DEPOSIT)
_WITHDRAW: Final = int(FuturesCommand.WITHDRAW)
_SET_LEVERAGE: Final = int(FuturesCommand.SET_LEVERAGE)
_MARK_PRICE: Final = int(FuturesCommand.MARK_PRICE)
_FUNDING: Final = int(FuturesCommand.FUNDING)
_SET_MARGIN_TYPE: Final = int(FuturesCommand.SET_MARGIN_TYPE)
_ADJUST_ISOLATED_MARGIN: Final = int(FuturesCommand.ADJUST_ISOLATED_MARGIN)
_OK: Final = int(FuturesResult.OK)
_DUPLICATE: Final = int(FuturesResult.DUPLICATE)
_MALFORMED: Final = int(FuturesResult.MALFORMED)
_UNSUPPORTED_VERSION: Final = int(FuturesResult.UNSUPPORTED_VERSION)
_UNKNOWN_COMMAND: Final = int(FuturesResult.UNKNOWN_COMMAND)
_INVALID_ORDER_ID: Final = int(FuturesResult.INVALID_ORDER_ID)
_INVALID_USER_ID: Final = int(FuturesResult.INVALID_USER_ID)
_INVALID_SIDE: Final = int(FuturesResult.INVALID_SIDE)
_INVALID_TYPE: Final = int(FuturesResult.INVALID_TYPE)
_INVALID_TIME_IN_FORCE: Final = int(FuturesResult.INVALID_TIME_IN_FORCE)
_INVALID_PRICE: Final = int(FuturesResult.INVALID_PRICE)
_INVALID_QUANTITY: Final = int(FuturesResult.INVALID_QUANTITY)
_INVALID_STP: Final = int(FuturesResult.INVALID_STP)
_POST_ONLY_WOULD_TAKE: Final = int(FuturesResult.POST_ONLY_WOULD_TAKE)
_ORDER_ID_TOO_OLD: Final = int(FuturesResult.ORDER_ID_TOO_OLD)
_UNKNOWN_ORDER: Final = int(FuturesResult.UNKNOWN_ORDER)
_USER_MISMATCH: Final = int(FuturesResult.USER_MISMATCH)
_CONTRACT_UNKNOWN: Final = int(FuturesResult.CONTRACT_UNKNOWN)
_CONTRACT_HALTED: Final = int(FuturesResult.CONTRACT_HALTED)
_NO_MARK_PRICE: Final = int(FuturesResult.NO_MARK_PRICE)
_INSUFFICIENT_MARGIN: Final = int(FuturesResult.INSUFFICIENT_MARGIN)
_LEVERAGE_TOO_HIGH: Final = int(FuturesResult.LEVERAGE_TOO_HIGH)
_INVALID_LEVERAGE: Final = int(FuturesResult.INVALID_LEVERAGE)
_REDUCE_ONLY_WOULD_INCREASE: Final = int(FuturesResult.REDUCE_ONLY_WOULD_INCREASE)
_BELOW_MIN_NOTIONAL: Final = int(FuturesResult.BELOW_MIN_NOTIONAL)
_INVALID_AMOUNT: Final = int(FuturesResult.INVALID_AMOUNT)
_POSITION_LIMIT: Final = int(FuturesResult.POSITION_LIMIT)
_LEVERAGE_REDUCTION_NOT_SUPPORTED: Final = int(FuturesResult.LEVERAGE_REDUCTION_NOT_SUPPORTED)
_INVALID_CONTRACT: Final = int(FuturesResult.INVALID_CONTRACT)
_CONTRACT_EXISTS: Final = int(FuturesResult.CONTRACT_EXISTS)
_INVALID_MARGIN_TYPE: Final = int(FuturesResult.INVALID_MARGIN_TYPE)
_MARGIN_TYPE_HAS_POSITION: Final = int(FuturesResult.MARGIN_TYPE_HAS_POSITION)
_MARGIN_TYPE_HAS_ORDERS: Final = int(FuturesResult.MARGIN_TYPE_HAS_ORDERS)
_NOT_ISOLATED: Final = int(FuturesResult.NOT_ISOLATED)
_INVALID_CALLBACK_RATE: Final = int(FuturesResult.INVALID_CALLBACK_RATE)
_INVALID_STOP_PRICE: Final = int(FuturesResult.INVALID_STOP_PRICE)
_INVALID_CLOSE_POSITION: Final = int(FuturesResult.INVALID_CLOSE_POSITION)
_INVALID_WORKING_TYPE: Final = int(FuturesResult.INVALID_WORKING_TYPE)
_NO_WORKING_PRICE: Final = int(FuturesResult.NO_WORKING_PRICE)
_STOP_WOULD_TRIGGER: Final = int(FuturesResult.STOP_WOULD_TRIGGER)
_FUNDING_RATE_OVER_CAP: Final = int(FuturesResult.FUNDING_RATE_OVER_CAP)
_EV_TRADE: Final = int(FuturesEvent.TRADE)
_EV_DONE: Final = int(FuturesEvent.DONE)
_EV_SNAPSHOT: Final = int(FuturesEvent.SNAPSHOT)
_EV_POSITION: Final = int(FuturesEvent.POSITION)
_EV_BALANCE: Final = int(FuturesEvent.BALANCE)
_EV_FUNDING: Final = int(FuturesEvent.FUNDING)
_EV_ISO: Final = int(FuturesEvent.ISOLATED_MARGIN)
_EV_AMENDED: Final = int(FuturesEvent.AMENDED)
_EV_LIQ_ORDER: Final = int(FuturesEvent.LIQUIDATION_ORDER)
_EV_STOP_TRIGGERED: Final = int(FuturesEvent.STOP_TRIGGERED)
_EV_LIQUIDATION: Final = int(FuturesEvent.LIQUIDATION)
_EV_ADL: Final = int(FuturesEvent.ADL)
_EV_INSURANCE: Final = int(FuturesEvent.INSURANCE)
_CANCELED: Final = int(DoneReason.CANCELED)
_EXPIRED: Final = int(DoneReason.EXPIRED)
_REDUCE_ONLY: Final = int(DoneReason.REDUCE_ONLY)
_TRIGGER_REJECTED: Final = int(DoneReason.TRIGGER_REJECTED)
_LIQUIDATED: Final = int(DoneReason.LIQUIDATED)
_DEPOSITED: Final = int(BalanceReason.DEPOSIT)
_WITHDRAWN: Final = int(BalanceReason.WITHDRAW)
_BAL_LIQUIDATION_FEE: Final = int(BalanceReason.LIQUIDATION_FEE)
_BAL_INSURANCE_CLEAR: Final = int(BalanceReason.INSURANCE_CLEAR)
_TRADING: Final = int(ContractStatus.TRADING)
_TRADE: Final = int(EventType.TRADE)
_DONE: Final = int(EventType.DONE)
_LIMIT: Final = int(FuturesOrderType.LIMIT)
_LIMIT_MAKER: Final = int(FuturesOrderType.LIMIT_MAKER)
_MARKET: Final = int(FuturesOrderType.MARKET)
_STOP_LIMIT_TYPES: Final = (int(FuturesOrderType.STOP), int(FuturesOrderType.TAKE_PROFIT))
_MARK: Final = int(WorkingType.MARK_PRICE)
_LAST: Final = int(WorkingType.CONTRACT_PRICE)
_IOC: Final = 1
_FOK: Final = 2
_NO_EVENTS: Final[tuple[Event, ...]] = ()
# A heap grows by one entry per re-index; rebuild it when stale entries dominate.
_COMPACT_MIN: Final = 4096
_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop
_unpackb: Final = msgpack.unpackb


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def _ints(values: list[Any], start: int) -> bool:
    """Whether every element from `start` on is an int (bool and float are not)."""
    for i in range(start, len(values)):  # noqa: SIM110 - faster than all() over a generator
        if type(values[i]) is not int:
            return False
    return True


_COMMANDS: Final = frozenset(int(c) for c in FuturesCommand)


class MarginGroup:
    """Contracts settled in one margin asset and the cross-margin accounts trading them."""

    def __init__(
        self,
        name: str,
        book_factory: BookFactory = FastOrderBook,
        dedupe_window: int = DEFAULT_DEDUPE_WINDOW,
    ) -> None:
        self.name = name
        self.symbol = name  # the stream key, as a spot market's symbol
        self.book_factory = book_factory
        self.contracts: dict[int, Contract] = {}
        self.books: dict[int, OrderBook] = {}
        self.accounts: dict[int, Account] = {}
        self.insurance = 0
        self.fees = 0
        self.net_deposits = 0
        self.book_seq = 0
        self.next_seq = 0
        self.liq_seq = 0
        self.dedupe_window = dedupe_window
        self.seen: set[int] = set()
        self.seen_order: deque[int] = deque()
        self.seen_floor = 0
        self.requests: set[int] = set()  # DEPOSIT/WITHDRAW request ids, exactly once
        # Liquidation index of accounts with exactly one position: per contract a heap
        # of (-price, user, version) for longs and (price, user, version) for shorts.
        self.long_heaps: dict[int, list[tuple[int, int, int]]] = {}
        self.short_heaps: dict[int, list[tuple[int, int, int]]] = {}
        self.multi: set[int] = set()  # accounts with positions in several contracts
        self.recheck: set[int] = set()  # of those, the ones to check after this command
        self.negative: set[int] = set()  # accounts a fill left with a negative wallet
        # ADL candidates per (contract, side), taken once per command, best last
        self.adl_ranking: dict[tuple[int, int], list[int]] = {}
        self.events: list[Event] = []
        self.levels: list[tuple[int, int, int, int]] = []
        self.snapshot_requested = False
        self.dirty = False  # an account or a mark changed: look for liquidations
        self.stops = StopBook()
        self.moved: set[int] = set()  # contracts whose mark or last price moved
        self._pack: Callable[[object], bytes] = msgpack.Packer(autoreset=True).pack

    # --- entry points ----------------------------------------------------------------

    def apply(self, blob: bytes) -> bytes:
        try:
            command = _unpackb(blob)
        except Exception:  # any undecodable blob is the sender's error, never ours
            return self._pack(self._reply(0, _MALFORMED, 0, 0))
        return self._pack(self.process(command))

    def apply_entries(self, entries: list[tuple[bytes, bytes | None]]) -> list[tuple[bytes, bytes]]:
        """`apply` each stream entry's blob (a missing one is empty) in order; return
        (entry id, output) pairs. One call per batch: the loop runs compiled."""
        return [(i, self.apply(b"" if blob is None else blob)) for i, blob in entries]

    def process(self, command: Any) -> Output:
        """Execute one decoded command, liquidate what fell below maintenance, reply."""
        out = self._dispatch(command)
        # Only a changed account or a moved mark can put an account under water.
        if self.dirty:
            self._liquidate_due()
            self.dirty = False
        if self.moved:
            if self.stops.orders:
                self._fire_stops()
            else:
                self.moved.clear()
        return self._reply(out[0], out[1], out[2], out[3])

    def _fire_stops(self) -> None:
        """Place the conditional orders that the moved prices trigger, oldest first.

        A placed one may trade and move the last price again: repeat until nothing
        fires. Liquidations still come first, before each triggered order.
        """
        while self.moved:
            fired: list[Stop] = []
            for cid in sorted(self.moved):
                contract = self.contracts[cid]
                fired += self.stops.fired(cid, _MARK, contract.mark)
                fired += self.stops.fired(cid, _LAST, self.books[cid].last_price)
            self.moved.clear()
            for stop in sorted(fired, key=lambda o: o.seq):
                if self.stops.remove(stop.id) is None:
                    continue  # canceled by a liquidation that an earlier one caused
                self._trigger(stop)
                if self.dirty:
                    self._liquidate_due()
                    self.dirty = False

    def _trigger(self, stop: Stop) -> None:
        acct = self.accounts[stop.user]
        acct.stops.discard(stop.id)
        contract = self.contracts[stop.cid]
        price = contract.mark if stop.working == _MARK else self.books[stop.cid].last_price
        qty, reduce_only = stop.qty, stop.reduce_only
        code = _OK
        if stop.close:
            pos = acct.positions.get(stop.cid)
            size = pos.size if pos is not None else 0
            qty, reduce_only = abs(size), 1
            if size == 0 or (size > 0) != (stop.side == SELL):
                code = _REDUCE_ONLY_WOULD_INCREASE
        if code == _OK and contract.status != _TRADING:
            code = _CONTRACT_HALTED
        otype = _LIMIT if stop.type in _STOP_LIMIT_TYPES else _MARKET
        tif = stop.tif if otype == _LIMIT else 0
        events = self.events
        at = len(events)
        events.append((_EV_STOP_TRIGGERED, stop.id, stop.user, stop.cid, price, 0))
        if code == _OK:
            code = self._open(
                stop.id,
                stop.user,
                contract,
                stop.side,
                otype,
                tif,
                stop.price,
                qty,
                reduce_only,
                stop.stp,
            )
        if code != _OK:
            events[at] = (_EV_STOP_TRIGGERED, stop.id, stop.user, stop.cid, price, code)
            events.append((_EV_DONE, stop.id, stop.user, _TRIGGER_REJECTED, qty))

    def _dispatch(self, command: Any) -> tuple[int, int, int, int]:
        # Explicit arguments rather than star-calls, which the compiled core would box;
        # the commands that make up most traffic are tested first.
        if type(command) is not list or len(command) < 2:
            return 0, _MALFORMED, 0, 0
        a: list[Any] = command
        if type(a[1]) is not int or type(a[0]) is not int:
            return 0, _MALFORMED, 0, 0
        version: int = a[0]
        c: int = a[1]
        if version != VERSION:
            return 0, _UNSUPPORTED_VERSION, 0, 0
        n = len(a)
        if c == _PLACE:
            if n == 12 and _ints(a, 2):
                return self.place(a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11])
            if (n == 15 or n == 16) and _ints(a, 2):  # conditional; 16 with a callback rate
                return self.place(*a[2:])
            return c, _MALFORMED, 0, 0
        if c == _CANCEL:
            if n == 4 and _ints(a, 2):
                return self.cancel(a[2], a[3])
            return c, _MALFORMED, 0, 0
        if c == _MARK_PRICE:
            if n == 4 and _ints(a, 2):
                return self.mark_price(a[2], a[3])
            return c, _MALFORMED, 0, 0
        if c not in _COMMANDS:
            return 0, _UNKNOWN_COMMAND, 0, 0
        if c == _MODIFY and n == 7 and _ints(a, 2):
            return self.modify(a[2], a[3], a[4], a[5], a[6])
        if c == _CONTRACT_CREATE and n == 12 and type(a[3]) is str:
            return self.create_contract(
                a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]
            )
        if c in (_DEPOSIT, _WITHDRAW) and n == 5 and _ints(a, 2):
            return self.transfer(c, a[2], a[3], a[4])
        if c == _SET_LEVERAGE and n == 5 and _ints(a, 2):
            return self.set_leverage(a[2], a[3], a[4])
        if c == _FUNDING and n == 4 and _ints(a, 2):
            return self.funding(a[2], a[3])
        if c == _SET_MARGIN_TYPE and n == 5 and _ints(a, 2):
            return self.set_margin_type(a[2], a[3], a[4])
        if c == _ADJUST_ISOLATED_MARGIN and n == 5 and _ints(a, 2):
            return self.adjust_isolated_margin(a[2], a[3], a[4])
        if c == _SNAPSHOT and n == 2:
            self.snapshot_requested = True
            self.events.append((_EV_SNAPSHOT, self.state_hash()))
            return c, _OK, 0, 0
        return c, _MALFORMED, 0, 0

    # --- commands --------------------------------------------------------------------

    def create_contract(
        self,
        cid: Any,
        symbol: str,
        multiplier: Any,
        min_notional: Any,
        maker_fee: Any,
        taker_fee: Any,
        liquidation_fee: Any,
        funding_cap: Any,
        brackets: Any,
        status: Any,
    ) -> tuple[int, int, int, int]:
        c = _CONTRACT_CREATE
        contract = Contract.build(
            cid,
            symbol,
            multiplier,
            min_notional,
            maker_fee,
            taker_fee,
            liquidation_fee,
            funding_cap,
            brackets,
            status,
        )
        if contract is None:
            return c, _INVALID_CONTRACT, 0, 0
        if contract.id in self.contracts:
            if self.contracts[contract.id].symbol != symbol:
                return c, _CONTRACT_EXISTS, contract.id, 0
            # Re-announcing a known contract updates its status only (halt / resume).
            self.contracts[contract.id].status = contract.status
            return c, _OK, contract.id, 0
        self.contracts[contract.id] = contract
        self.books[contract.id] = self.book_factory()
        self.long_heaps[contract.id] = []
        self.short_heaps[contract.id] = []
        return c, _OK, contract.id, 0

    def transfer(
        self, c: int, request_id: int, user: int, amount: int
    ) -> tuple[int, int, int, int]:
        if not 0 < request_id <= MAX_INT:
            return c, _INVALID_ORDER_ID, request_id, user
        if request_id in self.requests:
            return c, _DUPLICATE, request_id, user
        if not 0 <= user <= MAX_INT:
            return c, _INVALID_USER_ID, request_id, user
        if not 0 < amount <= MAX_INT:
            return c, _INVALID_AMOUNT, request_id, user
        acct = self.accounts.get(user) or Account(user)
        if c == _WITHDRAW:
            if amount > min(acct.cross_wallet(), self.available(acct)):
                return c, _INSUFFICIENT_MARGIN, request_id, user
            amount = -amount
            reason = _WITHDRAWN
        else:
            reason = _DEPOSITED
        self.requests.add(request_id)
        self.accounts[user] = acct
        acct.wallet += amount
        self.net_deposits += amount
        self.events.append((_EV_BALANCE, user, acct.wallet, amount, reason))
        self._reindex(acct)
        return c, _OK, request_id, user

    def set_leverage(self, user: int, cid: int, leverage: int) -> tuple[int, int, int, int]:
        c = _SET_LEVERAGE
        contract = self.contracts.get(cid)
        if contract is None:
            return c, _CONTRACT_UNKNOWN, cid, user
        if not 0 <= user <= MAX_INT:
            return c, _INVALID_USER_ID, cid, user
        if not 0 < leverage <= MAX_LEVERAGE:
            return c, _INVALID_LEVERAGE, cid, user
        acct = self._account(user)
        pos = acct.positions.setdefault(cid, Position())
        notional = abs(pos.size) * contract.mark * contract.multiplier
        if leverage > contract.bracket(notional).max_leverage:
            return c, _LEVERAGE_TOO_HIGH, cid, user
        old = pos.leverage
        if pos.isolated and pos.size and leverage < old:
            # The isolated margin was sized for the old leverage (Binance -4161).
            return c, _LEVERAGE_REDUCTION_NOT_SUPPORTED, cid, user
        pos.leverage = leverage
        self._rereserve_contract(acct, cid)
        if self.available(acct) < 0:
            pos.leverage = old
            self._rereserve_contract(acct, cid)
            return c, _INSUFFICIENT_MARGIN, cid, user
        return c, _OK, cid, user

    def set_margin_type(self, user: int, cid: int, margin_type: int) -> tuple[int, int, int, int]:
        """Switch a contract between cross and isolated: only while flat and orderless."""
        c = _SET_MARGIN_TYPE
        if cid not in self.contracts:
            return c, _CONTRACT_UNKNOWN, cid, user
        if not 0 <= user <= MAX_INT:
            return c, _INVALID_USER_ID, cid, user
        if margin_type not in (MarginType.CROSSED, MarginType.ISOLATED):
            return c, _INVALID_MARGIN_TYPE, cid, user
        acct = self.accounts.get(user)
        pos = None if acct is None else acct.positions.get(cid)
        if acct is not None and pos is not None and pos.size:
            return c, _MARGIN_TYPE_HAS_POSITION, cid, user
        if acct is not None and (
            cid in acct.orders.values() or any(self.stops.orders[o].cid == cid for o in acct.stops)
        ):
            return c, _MARGIN_TYPE_HAS_ORDERS, cid, user
        acct = self._account(user)
        acct.positions.setdefault(cid, Position()).isolated = margin_type
        return c, _OK, cid, user

    def adjust_isolated_margin(self, user: int, cid: int, delta: int) -> tuple[int, int, int, int]:
        """Move `delta` atoms from the cross wallet into an isolated position (< 0: back).

        Adding is bounded by the cross available balance; removing keeps the position's
        margin, after any unrealized loss, at or above its initial margin at the mark.
        """
        c = _ADJUST_ISOLATED_MARGIN
        contract = self.contracts.get(cid)
        if contract is None:
            return c, _CONTRACT_UNKNOWN, cid, user
        acct = self.accounts.get(user)
        pos = None if acct is None else acct.positions.get(cid)
        if acct is None or pos is None or not pos.isolated or not pos.size:
            return c, _NOT_ISOLATED, cid, user
        if delta == 0 or abs(delta) > MAX_INT:
            return c, _INVALID_AMOUNT, cid, user
        m = contract.multiplier
        if delta > 0:
            if delta > min(acct.cross_wallet(), self.available(acct)):
                return c, _INSUFFICIENT_MARGIN, cid, user
        else:
            im = _ceil_div(abs(pos.size) * contract.mark * m, pos.leverage)
            if pos.margin + delta + min(pos.upnl(contract.mark, m), 0) < im:
                return c, _INSUFFICIENT_MARGIN, cid, user
        pos.margin += delta
        self.events.append((_EV_ISO, user, cid, pos.margin, acct.wallet))
        self._reindex(acct)
        return c, _OK, cid, user

    def place(
        self,
        order_id: int,
        user: int,
        cid: int,
        side: int,
        otype: int,
        tif: int,
        price: int,
        qty: int,
        reduce_only: int,
        stp: int,
        stop: int = 0,
        working: int = 0,
        close: int = 0,
        rate: int = 0,
    ) -> tuple[int, int, int, int]:
        if not 0 < order_id < LIQUIDATION_ID_BASE:
            return _PLACE, _INVALID_ORDER_ID, order_id, user
        if order_id in self.seen:
            return _PLACE, _DUPLICATE, order_id, user
        if order_id <= self.seen_floor:
            return _PLACE, _ORDER_ID_TOO_OLD, order_id, user
        self._remember(order_id)
        contract = self.contracts.get(cid)
        if contract is None:
            return _PLACE, _CONTRACT_UNKNOWN, order_id, user
        if contract.status != _TRADING:
            return _PLACE, _CONTRACT_HALTED, order_id, user
        if contract.mark == 0:
            return _PLACE, _NO_MARK_PRICE, order_id, user
        if otype in CONDITIONAL_TYPES or stop or working or close or rate:
            code = self._conditional(
                order_id,
                user,
                contract,
                side,
                otype,
                tif,
                price,
                qty,
                reduce_only,
                stp,
                stop,
                working,
                close,
                rate,
            )
            return _PLACE, code, order_id, user
        code = self._validate(user, side, otype, tif, price, qty, reduce_only, stp)
        if code:
            return _PLACE, code, order_id, user
        return (
            _PLACE,
            self._open(order_id, user, contract, side, otype, tif, price, qty, reduce_only, stp),
            order_id,
            user,
        )

    def _conditional(
        self,
        order_id: int,
        user: int,
        contract: Contract,
        side: int,
        otype: int,
        tif: int,
        price: int,
        qty: int,
        reduce_only: int,
        stp: int,
        stop: int,
        working: int,
        close: int,
        rate: int = 0,
    ) -> int:
        """Validate a conditional order and keep it pending; margin is checked when fired.

        A TRAILING_STOP_MARKET's `stop` is its activation price; 0 starts it trailing
        at once from the working price, which must then exist.
        """
        if otype not in CONDITIONAL_TYPES:
            if rate:
                return _INVALID_CALLBACK_RATE
            return _INVALID_STOP_PRICE if stop else _INVALID_TYPE
        trailing = otype == TRAILING
        if trailing != (rate != 0) or (trailing and not 10 <= rate <= 1000):
            return _INVALID_CALLBACK_RATE
        if trailing and close:
            return _INVALID_CLOSE_POSITION
        limit_type = otype if otype in _STOP_LIMIT_TYPES else _MARKET
        if limit_type != _MARKET:
            limit_type = _LIMIT
        if close not in (0, 1) or (close and (limit_type != _MARKET or qty != 0 or reduce_only)):
            return _INVALID_CLOSE_POSITION
        code = self._validate(
            user, side, limit_type, tif, price, 1 if close else qty, reduce_only, stp
        )
        if code:
            return code
        if not (0 < stop <= MAX_INT or (trailing and stop == 0)):
            return _INVALID_STOP_PRICE
        if working not in (_MARK, _LAST):
            return _INVALID_WORKING_TYPE
        m = contract.multiplier
        if price * qty * m > MAX_INT or stop * qty * m > MAX_INT:
            return _INVALID_QUANTITY
        ref = contract.mark if working == _MARK else self.books[contract.id].last_price
        if trailing and not stop and not ref:
            return _NO_WORKING_PRICE
        if stop and self.stops.would_fire(side, otype, stop, ref):
            return _STOP_WOULD_TRIGGER
        acct = self._account(user)
        seq = self.next_seq
        self.next_seq = seq + 1
        self.stops.add(
            Stop(
                order_id,
                user,
                contract.id,
                side,
                otype,
                tif,
                price,
                qty,
                reduce_only,
                stp,
                stop,
                working,
                close,
                seq,
                rate,
                0 if stop else ref,
            )
        )
        acct.stops.add(order_id)
        return _OK

    def _open(
        self,
        order_id: int,
        user: int,
        contract: Contract,
        side: int,
        otype: int,
        tif: int,
        price: int,
        qty: int,
        reduce_only: int,
        stp: int,
    ) -> int:
        """Check margin and limits for a validated order, then match it (PLACE or fired)."""
        cid = contract.id
        m = contract.multiplier
        est_price = price if otype != _MARKET else contract.mark
        if price * qty * m > MAX_INT or est_price * qty * m > MAX_INT:
            return _INVALID_QUANTITY
        # A rejected PLACE leaves no trace, not even an empty account.
        acct = self.accounts.get(user) or Account(user)
        code = self._risk_check(acct, contract, side, price, est_price, qty, reduce_only, 0)
        if code:
            return code
        book = self.books[cid]
        if otype == _LIMIT_MAKER and book.would_take(side, price):
            return _POST_ONLY_WOULD_TAKE
        self.accounts[user] = acct
        lock = (price * qty if price else MAX_INT) if side == BUY else qty
        seq = self.next_seq
        self.next_seq = seq + 1
        order = Order(order_id, user, side, otype, tif, price, qty, 0, 0, lock, stp, seq)
        if reduce_only:
            acct.reduce_only.add(order_id)
        acct.orders[order_id] = cid
        self._execute(contract, book, order, liquidation=False)
        return _OK

    def _risk_check(
        self,
        acct: Account,
        contract: Contract,
        side: int,
        price: int,
        est_price: int,
        qty: int,
        reduce_only: int,
        credit: int,
    ) -> int:
        """Position, leverage and margin limits of a new (or re-queued) order; `credit` is
        margin the order frees by replacing itself (a MODIFY's own reservation)."""
        m = contract.multiplier
        pos = acct.positions.get(contract.id)
        size = pos.size if pos is not None else 0
        if reduce_only:
            if size == 0 or (size > 0) != (side == SELL) or qty > abs(size):
                return _REDUCE_ONLY_WOULD_INCREASE
            return _OK
        if est_price * qty * m < contract.min_notional:
            return _BELOW_MIN_NOTIONAL
        leverage = pos.leverage if pos is not None else DEFAULT_LEVERAGE
        worst = (abs(size) + qty) * est_price * m
        if worst > contract.brackets[-1].cap:
            return _POSITION_LIMIT
        if leverage > contract.bracket(worst).max_leverage:
            return _LEVERAGE_TOO_HIGH
        # A limit through the mark books a loss the moment it fills (Binance's
        # "open loss"): the account must be able to pay for that too.
        gap = (price - contract.mark if side == BUY else contract.mark - price) if price else 0
        need = self.order_margin(contract, leverage, est_price, qty) + max(gap, 0) * qty * m
        if self.available(acct) + credit < need:
            return _INSUFFICIENT_MARGIN
        return _OK

    def modify(
        self, order_id: int, user: int, price: int, old_qty: int, new_qty: int
    ) -> tuple[int, int, int, int]:
        """Binance's order modify (PUT /fapi/v1/order) of a resting limit order, in one step.

        `old_qty` is the original quantity the sender knew and `new_qty` the new one, so
        what has filled meanwhile is `old_qty` minus what rests. Lowering only the
        quantity keeps the queue place; any other change re-queues the order (same id)
        at the back of its new level, where it may trade at once. A new quantity not
        above what has filled cancels the order, and so does a post-only price that
        would take, as on Binance. A refusal (margin, limits) leaves the order as it was.
        """
        c = _MODIFY
        acct = self.accounts.get(user)
        cid = None if acct is None else acct.orders.get(order_id)
        if acct is None or cid is None:
            if order_id in self.stops.orders:
                return c, _INVALID_TYPE, order_id, user
            for book in self.books.values():
                if book.get(order_id) is not None:
                    return c, _USER_MISMATCH, order_id, user
            return c, _UNKNOWN_ORDER, order_id, user
        contract, book = self.contracts[cid], self.books[cid]
        order = book.get(order_id)
        assert order is not None
        filled = old_qty - order.qty
        if filled < 0 or not 0 < new_qty <= MAX_INT:
            return c, _INVALID_QUANTITY, order_id, user
        if not 0 < price <= MAX_INT or price * new_qty * contract.multiplier > MAX_INT:
            return c, _INVALID_PRICE, order_id, user
        if contract.status != _TRADING:
            return c, _CONTRACT_HALTED, order_id, user
        left = new_qty - filled
        if left <= 0:
            self._cancel(cid, order_id, _CANCELED)
            return c, _OK, order_id, user
        events = self.events
        if price == order.price and left <= order.qty:
            if left < order.qty:
                cut = order.qty - left
                order.lock -= cut * price if order.side == BUY else cut
                book.reduce(order_id, left)
                self._rereserve(acct, cid, order_id)
                self._take_levels(cid, book)
            events.append((_EV_AMENDED, order_id, user, cid, price, new_qty, left, 1))
            return c, _OK, order_id, user
        reduce_only = 1 if order_id in acct.reduce_only else 0
        credit = acct.reserve.get(order_id, 0)
        code = self._risk_check(acct, contract, order.side, price, price, left, reduce_only, credit)
        if code:
            return c, code, order_id, user
        if order.type == _LIMIT_MAKER and book.would_take(order.side, price):
            self._cancel(cid, order_id, _EXPIRED)
            return c, _POST_ONLY_WOULD_TAKE, order_id, user
        book.remove(order_id)
        acct.reserved -= acct.reserve.pop(order_id, 0)
        seq = self.next_seq
        self.next_seq = seq + 1
        lock = price * left if order.side == BUY else left
        moved = Order(
            order_id,
            user,
            order.side,
            order.type,
            order.tif,
            price,
            left,
            0,
            0,
            lock,
            order.stp,
            seq,
        )
        events.append((_EV_AMENDED, order_id, user, cid, price, new_qty, left, 0))
        self._execute(contract, book, moved, liquidation=False)
        return c, _OK, order_id, user

    def cancel(self, order_id: int, user: int) -> tuple[int, int, int, int]:
        acct = self.accounts.get(user)
        cid = None if acct is None else acct.orders.get(order_id)
        if cid is None:
            if acct is not None and order_id in acct.stops:
                self._cancel_stop(order_id, _CANCELED)
                return _CANCEL, _OK, order_id, user
            if order_id in self.stops.orders:
                return _CANCEL, _USER_MISMATCH, order_id, user
            for book in self.books.values():
                if book.get(order_id) is not None:
                    return _CANCEL, _USER_MISMATCH, order_id, user
            return _CANCEL, _UNKNOWN_ORDER, order_id, user
        self._cancel(cid, order_id, _CANCELED)
        return _CANCEL, _OK, order_id, user

    def mark_price(self, cid: int, price: int) -> tuple[int, int, int, int]:
        c = _MARK_PRICE
        contract = self.contracts.get(cid)
        if contract is None:
            return c, _CONTRACT_UNKNOWN, cid, 0
        if not 0 < price <= MAX_INT:
            return c, _INVALID_PRICE, cid, 0
        contract.mark = price
        self.recheck |= self.multi
        self.dirty = True
        self.moved.add(cid)
        return c, _OK, cid, 0

    def funding(self, cid: int, rate: int) -> tuple[int, int, int, int]:
        """Longs pay shorts `size * mark * rate` (shorts pay when negative).

        Payers are rounded up and receivers down; the dust goes to the insurance fund,
        so the sum over users plus the fund is exactly zero.
        """
        c = _FUNDING
        contract = self.contracts.get(cid)
        if contract is None:
            return c, _CONTRACT_UNKNOWN, cid, 0
        if abs(rate) > contract.funding_cap:
            return c, _FUNDING_RATE_OVER_CAP, cid, 0
        mark = contract.mark
        if mark == 0:
            return c, _NO_MARK_PRICE, cid, 0
        m = contract.multiplier
        dust = 0
        touched: list[Account] = []
        for user in sorted(self.accounts):
            acct = self.accounts[user]
            pos = acct.positions.get(cid)
            if pos is None or pos.size == 0 or rate == 0:
                continue
            exact = pos.size * mark * m * rate
            amount = -_ceil_div(exact, RATE_SCALE) if exact > 0 else (-exact) // RATE_SCALE
            dust -= amount
            acct.wallet += amount
            self.events.append((_EV_FUNDING, cid, rate, mark, user, amount))
            if pos.isolated:  # an isolated position pays from and is paid into its margin
                pos.margin += amount
                self.events.append((_EV_ISO, user, cid, pos.margin, acct.wallet))
            touched.append(acct)
        if dust:
            self._insurance(dust, 0)
        for acct in touched:
            self._reindex(acct)
        return c, _OK, cid, 0

    # --- validation and margin ----------------------------------------------------------

    @staticmethod
    def _validate(
        user: int,
        side: int,
        otype: int,
        tif: int,
        price: int,
        qty: int,
        reduce_only: int,
        stp: int,
    ) -> int:
        if not 0 <= user <= MAX_INT:
            return _INVALID_USER_ID
        if side != BUY and side != SELL:
            return _INVALID_SIDE
        if otype not in (_LIMIT, _LIMIT_MAKER, _MARKET) or reduce_only not in (0, 1):
            return _INVALID_TYPE
        if not 0 <= stp <= 3:
            return _INVALID_STP
        if (otype == _LIMIT and not 0 <= tif <= 2) or (otype != _LIMIT and tif != 0):
            return _INVALID_TIME_IN_FORCE
        if (otype == _MARKET and price != 0) or (otype != _MARKET and not 0 < price <= MAX_INT):
            return _INVALID_PRICE
        if not 0 < qty <= MAX_INT:
            return _INVALID_QUANTITY
        return _OK

    def order_margin(self, contract: Contract, leverage: int, price: int, qty: int) -> int:
        """Initial margin plus the taker fee that an order reserves while it is open."""
        notional = price * qty * contract.multiplier
        return _ceil_div(notional, leverage) + _ceil_div(notional * contract.taker_fee, RATE_SCALE)

    def equity(self, acct: Account) -> int:
        """Wallet plus unrealized PnL at the marks (margin balance), isolated included."""
        e = acct.wallet
        for cid, pos in acct.positions.items():
            if pos.size:
                contract = self.contracts[cid]
                e += pos.upnl(contract.mark, contract.multiplier)
        return e

    def cross_equity(self, acct: Account) -> int:
        """Cross wallet plus the unrealized PnL of the cross positions."""
        e = acct.wallet
        for cid, pos in acct.positions.items():
            if pos.isolated:
                e -= pos.margin
            elif pos.size:
                contract = self.contracts[cid]
                e += pos.upnl(contract.mark, contract.multiplier)
        return e

    def maintenance_scaled(self, acct: Account) -> int:
        """Maintenance margin of the cross positions, times RATE_SCALE."""
        mm = 0
        for cid, pos in acct.positions.items():
            if pos.size and not pos.isolated:
                contract = self.contracts[cid]
                mm += contract.maintenance_scaled(
                    abs(pos.size) * contract.mark * contract.multiplier
                )
        return mm

    def available(self, acct: Account) -> int:
        """Cross equity minus the initial margin of cross positions and of every open
        order (an isolated order's margin moves into its position when it fills)."""
        free = acct.wallet - acct.reserved
        for cid, pos in acct.positions.items():  # cross_equity() and the margins in one pass
            if pos.isolated:
                free -= pos.margin
            elif pos.size:
                contract = self.contracts[cid]
                at_mark = pos.size * contract.mark * contract.multiplier
                free += at_mark - pos.cost - _ceil_div(abs(at_mark), pos.leverage)
        return free

    def _rereserve(self, acct: Account, cid: int, oid: int) -> None:
        """Reserve margin for what is left of an open order (nothing if reduce-only)."""
        acct.reserved -= acct.reserve.pop(oid, 0)
        if oid not in acct.orders or oid in acct.reduce_only:
            return
        order = self.books[cid].get(oid)
        if order is None:
            return
        pos = acct.positions.get(cid)
        lev = pos.leverage if pos is not None else DEFAULT_LEVERAGE
        r = self.order_margin(self.contracts[cid], lev, order.price, order.qty)
        acct.reserve[oid] = r
        acct.reserved += r

    def _rereserve_contract(self, acct: Account, cid: int) -> None:
        for oid, c in sorted(acct.orders.items()):
            if c == cid:
                self._rereserve(acct, cid, oid)

    def is_liquidatable(self, acct: Account) -> bool:
        """Is the cross part of the account below maintenance?"""
        return any(p.size and not p.isolated for p in acct.positions.values()) and (
            RATE_SCALE * self.cross_equity(acct) < self.maintenance_scaled(acct)
        )

    def isolated_liquidatable(self, contract: Contract, pos: Position) -> bool:
        m, mark = contract.multiplier, contract.mark
        equity = pos.margin + pos.upnl(mark, m)
        return RATE_SCALE * equity < contract.maintenance_scaled(abs(pos.size) * mark * m)

    # --- matching and settlement ------------------------------------------------------

    def _execute(
        self, contract: Contract, book: OrderBook, order: Order, liquidation: bool
    ) -> None:
        if order.tif == _FOK and not book.fok_fillable(order):
            reason = _EXPIRED
        else:
            reason = book.execute(order)
        events = book.events
        book.events = []
        traded = False
        for ev in events:
            if ev[0] == _TRADE:
                traded = True
                self._settle_trade(contract, ev, liquidation)
            else:  # a maker left the book: filled or expired by self-trade prevention
                self._order_gone(int(ev[1]), int(ev[2]), int(ev[3]), int(ev[4]))
        cid = contract.id
        accounts = self.accounts
        if reason >= 0:
            self._order_gone(order.id, order.user, reason, order.qty)
        else:
            self._rereserve(accounts[order.user], cid, order.id)
        self._take_levels(cid, book)
        if not traded:
            return
        self.moved.add(cid)
        trimming = bool(accounts[order.user].reduce_only)
        for ev in events:  # partly filled makers reserve less now
            if ev[0] == _TRADE:
                maker = accounts[int(ev[9])]
                self._rereserve(maker, cid, int(ev[8]))
                if maker.reduce_only:
                    trimming = True
        if not trimming:
            return
        # A trade may have left reduce-only orders bigger than what they reduce.
        users: set[int] = set()
        for ev in events:
            if ev[0] == _TRADE:
                users.add(int(ev[7]))
                users.add(int(ev[9]))
        for user in sorted(users):
            acct = accounts[user]
            if acct.reduce_only:
                self._trim_reduce_only(acct, cid)

    def _settle_trade(self, contract: Contract, ev: Event, liquidation: bool) -> None:
        # The book event's own int objects go into the TRADE event and the account
        # lookups: narrowed to int, the compiled core would unbox and box them again.
        tuid: Any = ev[7]
        muid: Any = ev[9]
        price, qty = ev[2], ev[3]
        assert type(price) is int and type(qty) is int
        notional = price * qty * contract.multiplier
        taker_fee = 0 if liquidation else _ceil_div(notional * contract.taker_fee, RATE_SCALE)
        maker_fee = _ceil_div(notional * contract.maker_fee, RATE_SCALE)
        taker, maker = self.accounts[tuid], self.accounts[muid]
        sign = 1 if ev[5] == BUY else -1
        t_pnl = self._fill(taker, contract, sign * qty, price, keep_margin=liquidation)
        m_pnl = self._fill(maker, contract, -sign * qty, price)
        taker.wallet -= taker_fee
        maker.wallet -= maker_fee
        self.fees += taker_fee + maker_fee
        self.events.append(
            (
                _EV_TRADE,
                contract.id,
                ev[1],
                ev[2],
                ev[3],
                ev[5],
                ev[6],
                tuid,
                ev[8],
                muid,
                taker_fee,
                maker_fee,
                t_pnl,
                m_pnl,
            )
        )
        self._filled(taker, contract.id)
        if maker is not taker:
            self._filled(maker, contract.id)

    def _filled(self, acct: Account, cid: int) -> None:
        """Report and re-index an account whose position a trade changed."""
        pos = acct.positions[cid]
        self.events.append((_EV_POSITION, acct.user, cid, pos.size, pos.cost, acct.wallet))
        if pos.isolated:
            self.events.append((_EV_ISO, acct.user, cid, pos.margin, acct.wallet))
        self._reindex(acct)
        if acct.wallet < 0:
            self.negative.add(acct.user)

    def _fill(
        self, acct: Account, contract: Contract, dq: int, price: int, keep_margin: bool = False
    ) -> int:
        """Apply a fill of `dq` signed lots at `price`; return the realized PnL.

        An isolated position books its realized PnL into its margin and hands the
        closed share of that margin back to the cross wallet (all of it once flat; a
        loss beyond it is the cross wallet's, as a user chose to close at that price).
        A liquidation keeps everything in the margin for `_settle_isolated`. An opening
        fill moves its initial margin at the fill price from the cross wallet (at most
        what the cross wallet holds) into the position.
        """
        pos = acct.positions.get(contract.id)
        if pos is None:
            pos = acct.positions[contract.id] = Position()
        m = contract.multiplier
        size = pos.size
        realized = 0
        if size and (size > 0) != (dq > 0):
            close = min(abs(dq), abs(size))
            removed = pos.cost * close // abs(size)
            realized = (1 if size > 0 else -1) * price * close * m - removed
            pos.cost -= removed
            if pos.isolated:
                pos.margin += realized
                if not keep_margin:
                    if close == abs(size):
                        pos.margin = 0
                    elif pos.margin > 0:
                        pos.margin -= pos.margin * close // abs(size)
            pos.size = size = size + (close if dq > 0 else -close)
            dq += -close if dq > 0 else close
        acct.wallet += realized
        if dq:
            pos.size = size + dq
            pos.cost += dq * price * m
            if pos.isolated:
                im = _ceil_div(abs(dq) * price * m, pos.leverage)
                pos.margin += max(min(im, acct.cross_wallet()), 0)
        return realized

    def _cancel_stop(self, oid: int, reason: int) -> None:
        stop = self.stops.remove(oid)
        assert stop is not None
        self.accounts[stop.user].stops.discard(oid)
        self.events.append((_EV_DONE, oid, stop.user, reason, stop.qty))

    def _order_gone(self, oid: int, user: int, reason: int, qty_left: int) -> None:
        acct = self.accounts.get(user)
        if acct is not None:
            acct.orders.pop(oid, None)
            acct.reduce_only.discard(oid)
            acct.reserved -= acct.reserve.pop(oid, 0)
        if oid < LIQUIDATION_ID_BASE:
            self.events.append((_EV_DONE, oid, user, reason, qty_left))

    def _cancel(self, cid: int, oid: int, reason: int) -> None:
        book = self.books[cid]
        order = book.remove(oid)
        assert order is not None
        self._order_gone(oid, order.user, reason, order.qty)
        self._take_levels(cid, book)

    def _take_levels(self, cid: int, book: OrderBook) -> None:
        """Move the book's changed levels into this command's output."""
        if book.touched:
            levels = self.levels
            for side, price, total in book.take_level_changes():
                levels.append((cid, side, price, total))

    def _trim_reduce_only(self, acct: Account, cid: int) -> None:
        """Cancel reduce-only orders of `acct` that would no longer only reduce."""
        pos = acct.positions.get(cid)
        left = abs(pos.size) if pos is not None else 0
        closing = SELL if pos is not None and pos.size > 0 else BUY
        for oid in sorted(o for o in acct.reduce_only if acct.orders[o] == cid):
            order = self.books[cid].get(oid)
            if order is None:
                continue
            if order.side != closing or order.qty > left:
                self._cancel(cid, oid, _REDUCE_ONLY)
            else:
                left -= order.qty

    # --- liquidation ----------------------------------------------------------------

    def _reindex(self, acct: Account) -> None:
        """Put the account where a mark-price move finds it: O(log n) per change."""
        self.dirty = True
        acct.version += 1
        crosses = 0
        cross_cid = 0
        cross: Position | None = None
        isolated = 0
        for cid, pos in acct.positions.items():
            if pos.isolated:
                isolated += pos.margin
                if pos.size:  # an isolated position has its own liquidation price
                    self._push(acct, cid, pos, pos.margin)
            elif pos.size:
                crosses += 1
                if cross is None:
                    cross_cid, cross = cid, pos
        if crosses > 1:
            self.multi.add(acct.user)
            self.recheck.add(acct.user)
            return
        self.multi.discard(acct.user)
        if cross is not None:
            self._push(acct, cross_cid, cross, acct.wallet - isolated)

    def _push(self, acct: Account, cid: int, pos: Position, wallet: int) -> None:
        contract = self.contracts[cid]
        price = contract.liquidation_price(pos.size, pos.cost, wallet)
        if pos.size > 0:
            if price <= 0:
                return
            heap = self.long_heaps[cid]
            _heappush(heap, (-price, acct.user, acct.version))
        else:
            heap = self.short_heaps[cid]
            _heappush(heap, (price, acct.user, acct.version))
        if len(heap) > _COMPACT_MIN and len(heap) > 2 * len(self.accounts):
            self._compact(heap)

    def _compact(self, heap: list[tuple[int, int, int]]) -> None:
        live = [e for e in heap if self.accounts[e[1]].version == e[2]]
        heap[:] = live
        heapq.heapify(heap)

    def _due(self) -> tuple[Account, int] | None:
        """Return the next account to liquidate and the isolated contract to liquidate
        alone (0: the cross part), or None when every account is healthy."""
        for cid, contract in self.contracts.items():
            if not contract.mark:
                continue
            due = self._heap_due(self.long_heaps[cid], True, contract)
            if due is None:
                due = self._heap_due(self.short_heaps[cid], False, contract)
            if due is not None:
                return due
        # Accounts in several contracts are checked when a mark moves or they change.
        for user in sorted(self.recheck):
            self.recheck.discard(user)
            acct = self.accounts[user]
            if self.is_liquidatable(acct):
                return acct, 0
        return None

    def _heap_due(
        self, heap: list[tuple[int, int, int]], longs: bool, contract: Contract
    ) -> tuple[Account, int] | None:
        """The account at the top of a liquidation heap if the mark has reached it,
        dropping the stale entries on the way."""
        mark = contract.mark
        while heap:
            key, user, version = heap[0]
            acct = self.accounts[user]
            if acct.version != version:
                _heappop(heap)
                continue
            if (-key >= mark) if longs else (key <= mark):
                _heappop(heap)
                pos = acct.positions[contract.id]
                if pos.isolated:
                    if not self.isolated_liquidatable(contract, pos):
                        raise InternalStateError(f"index says {user} is due, margin not")
                    return acct, contract.id
                if not self.is_liquidatable(acct):
                    raise InternalStateError(f"index says {user} is due, margin not")
                return acct, 0
            return None
        return None

    def _liquidate_due(self) -> None:
        self.adl_ranking.clear()
        while (due := self._due()) is not None:
            acct, cid = due
            if cid:
                self._liquidate_isolated(acct, cid)
            else:
                self._liquidate(acct)
        # A flat account that a fill at a price far from the mark left below zero (a
        # market order, a fee) has nothing left to liquidate: the fund clears it.
        if self.negative:
            for user in sorted(self.negative):
                acct = self.accounts[user]
                if acct.wallet < 0 and not acct.open_positions():
                    self._settle_liquidated(acct, 0)
            self.negative.clear()

    def _liquidate_isolated(self, acct: Account, cid: int) -> None:
        """Liquidate one isolated position alone: its loss stops at its margin."""
        contract = self.contracts[cid]
        pos = acct.positions[cid]
        m, mark = contract.multiplier, contract.mark
        self.events.append(
            (
                _EV_LIQUIDATION,
                acct.user,
                pos.margin + pos.upnl(mark, m),
                _ceil_div(contract.maintenance_scaled(abs(pos.size) * mark * m), RATE_SCALE),
            )
        )
        for oid, c in sorted(acct.orders.items()):
            if c == cid:
                self._cancel(cid, oid, _LIQUIDATED)
        for oid in sorted(acct.stops):
            if self.stops.orders[oid].cid == cid:
                self._cancel_stop(oid, _LIQUIDATED)
        closed = self._close_out(acct, contract, pos)
        # What is left of the margin pays the fee; a deficit is the fund's.
        left = pos.margin
        pos.margin = 0
        self._fee_or_deficit(acct, left, closed * contract.liquidation_fee)
        self.events.append((_EV_ISO, acct.user, cid, 0, acct.wallet))
        self._reindex(acct)

    def _others(self, acct: Account, contract: Contract, pos: Position) -> int:
        """The equity that backs `pos` apart from its own unrealized PnL."""
        if pos.isolated:
            return pos.margin
        return self.cross_equity(acct) - pos.upnl(contract.mark, contract.multiplier)

    def _liquidation_ioc(self, acct: Account, contract: Contract, pos: Position) -> None:
        """Send an IOC for the whole of `pos` no worse than its bankruptcy price widened
        by what the insurance fund can pay (the worst price the account plus the fund
        can pay for); a limit below one tick sends nothing (ADL takes it all)."""
        q = abs(pos.size)
        qm = q * contract.multiplier
        others = self._others(acct, contract, pos)
        reach = max(self.insurance, 0) // qm
        if pos.size > 0:
            side, limit = SELL, max(_ceil_div(pos.cost - others, qm) - reach, 1)
        else:
            side, limit = BUY, (others - pos.cost) // qm + reach
        if limit <= 0:
            return
        self.liq_seq += 1
        seq = self.next_seq
        self.next_seq += 1
        lock = limit * q if side == BUY else q
        oid = LIQUIDATION_ID_BASE + self.liq_seq
        self.events.append((_EV_LIQ_ORDER, oid, acct.user, contract.id, side, limit, q))
        order = Order(
            oid,
            acct.user,
            side,
            _LIMIT,
            _IOC,
            limit,
            q,
            0,
            0,
            lock,
            0,
            seq,
        )
        self._execute(contract, self.books[contract.id], order, liquidation=True)

    def _close_out(self, acct: Account, contract: Contract, pos: Position) -> int:
        """Close `pos` with an IOC liquidation order no worse than the bankruptcy price
        widened by the fund's reach, ADL the rest; return the notional closed at mark."""
        q = abs(pos.size)
        self._liquidation_ioc(acct, contract, pos)
        if pos.size:
            self._deleverage(acct, contract, pos)
        return q * contract.mark * contract.multiplier

    def _liquidate(self, acct: Account) -> None:
        """Cancel the account's orders, close its positions, settle with the fund and ADL."""
        user = acct.user
        self.events.append(
            (
                _EV_LIQUIDATION,
                user,
                self.cross_equity(acct),
                _ceil_div(self.maintenance_scaled(acct), RATE_SCALE),
            )
        )
        for oid, cid in sorted(acct.orders.items()):
            self._cancel(cid, oid, _LIQUIDATED)
        for oid in sorted(acct.stops):
            pos = acct.positions.get(self.stops.orders[oid].cid)
            if pos is None or not pos.isolated:
                self._cancel_stop(oid, _LIQUIDATED)
        closed_notional = 0
        for cid, pos in acct.open_positions():
            if pos.isolated:
                continue
            contract = self.contracts[cid]
            before = abs(pos.size)
            self._liquidation_ioc(acct, contract, pos)
            after = abs(acct.positions[cid].size)
            closed_notional += (before - after) * contract.mark * contract.multiplier
        for cid, pos in acct.open_positions():
            if pos.isolated:
                continue
            contract = self.contracts[cid]
            closed_notional += abs(pos.size) * contract.mark * contract.multiplier
            self._deleverage(acct, contract, pos)
        self._settle_liquidated(acct, closed_notional)

    def _deleverage(self, acct: Account, contract: Contract, pos: Position) -> None:
        """Close what the book could not take against the best-ranked opposite positions.

        The price is the bankruptcy price (the account ends at zero equity); the ranking
        is Binance's: profit ratio times effective leverage, highest first, then user id.
        The ranking is taken once per command and side (a crash that deleverages many
        accounts must not walk every position once per account) and walked past the
        positions already closed; only if it runs dry is it taken again.
        """
        cid, m = contract.id, contract.multiplier
        q = abs(pos.size)
        others = self._others(acct, contract, pos)
        if pos.size > 0:
            price = max(_ceil_div(pos.cost - others, q * m), 1)
        else:
            price = max((others - pos.cost) // (q * m), 1)
        sign = 1 if pos.size > 0 else -1
        key = (cid, -sign)
        for fresh in (False, True):
            if fresh or key not in self.adl_ranking:
                self.adl_ranking[key] = self._adl_rank(contract, -sign)
            ranked = self.adl_ranking[key]
            while pos.size and ranked:
                other = self.accounts[ranked[-1]]
                op = other.positions.get(cid)
                if other is acct or op is None or op.size * sign >= 0:
                    ranked.pop()  # closed or flipped since the ranking was taken
                    continue
                self._deleverage_one(acct, other, contract, pos, price, sign)
            if not pos.size:
                return
        raise InternalStateError(f"no opposite positions left to deleverage {acct.user}")

    def _adl_rank(self, contract: Contract, side_sign: int) -> list[int]:
        """Users holding `side_sign` positions, best ADL candidate LAST (popped first)."""
        cid, m, mark = contract.id, contract.multiplier, contract.mark
        scored: list[tuple[int, int]] = []
        for user, other in self.accounts.items():
            op = other.positions.get(cid)
            if op is None or op.size * side_sign <= 0:
                continue
            eq = max(self.equity(other), 1)
            score = (
                op.upnl(mark, m)
                * abs(op.size)
                * mark
                * m
                * RATE_SCALE
                // (max(abs(op.cost), 1) * eq)
            )
            scored.append((-score, user))
        scored.sort(reverse=True)
        return [user for _, user in scored]

    def _deleverage_one(
        self,
        acct: Account,
        other: Account,
        contract: Contract,
        pos: Position,
        price: int,
        sign: int,
    ) -> None:
        """Close as much of `pos` as `other` holds against it, at `price`."""
        cid = contract.id
        user = other.user
        take = min(abs(pos.size), abs(other.positions[cid].size))
        self._fill(acct, contract, -sign * take, price, keep_margin=True)
        self._fill(other, contract, sign * take, price)
        self.events.append((_EV_ADL, cid, price, take, acct.user, user))
        for a in (acct, other):
            p = a.positions[cid]
            self.events.append((_EV_POSITION, a.user, cid, p.size, p.cost, a.wallet))
            if p.isolated and a is other:
                self.events.append((_EV_ISO, a.user, cid, p.margin, a.wallet))
        self._trim_reduce_only(other, cid)
        self._reindex(other)
        # The bankruptcy price of a gap can be beyond the counterparty's own: one left
        # flat below zero is cleared by the fund like a flat account after a far fill.
        if other.wallet < 0:
            self.negative.add(user)

    def _settle_liquidated(self, acct: Account, closed_notional: int) -> None:
        """Take the liquidation fee out of what is left of the cross wallet, or cover its
        deficit from the fund (isolated margins are not touched)."""
        rate = max(c.liquidation_fee for c in self.contracts.values())
        self._fee_or_deficit(acct, acct.cross_wallet(), closed_notional * rate)
        self._reindex(acct)

    def _fee_or_deficit(self, acct: Account, left: int, fee_scaled: int) -> None:
        """After a liquidation: the fee (``fee_scaled / RATE_SCALE``, rounded up) goes to the
        fund out of what is ``left``, at most all of it; a negative ``left`` is a deficit
        the fund pays back to zero (INSURANCE_CLEAR)."""
        if left > 0:
            fee = min(left, _ceil_div(fee_scaled, RATE_SCALE))
            if fee:
                acct.wallet -= fee
                self.events.append(
                    (
                        _EV_BALANCE,
                        acct.user,
                        acct.wallet,
                        -fee,
                        _BAL_LIQUIDATION_FEE,
                    )
                )
                self._insurance(fee, acct.user)
        elif left < 0:
            acct.wallet -= left
            self.events.append((_EV_BALANCE, acct.user, acct.wallet, -left, _BAL_INSURANCE_CLEAR))
            self._insurance(left, acct.user)

    def _insurance(self, delta: int, user: int) -> None:
        self.insurance += delta
        self.events.append((_EV_INSURANCE, self.insurance, delta, user))

    # --- helpers --------------------------------------------------------------------

    def _account(self, user: int) -> Account:
        acct = self.accounts.get(user)
        if acct is None:
            acct = self.accounts[user] = Account(user)
        return acct

    def _remember(self, order_id: int) -> None:
        self.seen.add(order_id)
        self.seen_order.append(order_id)
        while len(self.seen_order) > self.dedupe_window:
            evicted = self.seen_order.popleft()
            self.seen.discard(evicted)
            self.seen_floor = max(self.seen_floor, evicted)

    def _reply(self, command: int, result: int, oid: int, user: int) -> Output:
        events: list[Event] | tuple[Event, ...] = self.events or _NO_EVENTS
        self.events = []
        if not self.levels:
            return [VERSION, command, int(result), oid, user, events, _NO_EVENTS, 0, 0]
        levels = self.levels
        self.levels = []
        first = self.book_seq + 1
        self.book_seq += len(levels)
        return [VERSION, command, int(result), oid, user, events, levels, first, self.book_seq]

    # --- state -----------------------------------------------------------------------

    def canonical_state(self) -> list[object]:
        """Everything that can influence future outputs, as plain data."""
        return [
            self.name,
            self.insurance,
            self.fees,
            self.net_deposits,
            self.book_seq,
            self.liq_seq,
            self.dedupe_window,
            self.seen_floor,
            list(self.seen_order),
            sorted(self.requests),
            sorted(o for a in self.accounts.values() for o in a.reduce_only),
            [[*c.spec(), c.mark] for c in self.contracts.values()],
            [self.books[cid].canonical_state() for cid in self.contracts],
            [
                [
                    a.user,
                    a.wallet,
                    [
                        [cid, p.size, p.cost, p.leverage, p.isolated, p.margin]
                        for cid, p in sorted(a.positions.items())
                    ],
                ]
                for _, a in sorted(self.accounts.items())
            ],
            [o.fields() for o in self.stops.pending()],
        ]

    def state_hash(self) -> str:
        blob: bytes = msgpack.packb(self.canonical_state())
        return hashlib.blake2b(blob, digest_size=16).hexdigest()

    def to_snapshot(self) -> dict[str, Any]:
        return {"v": SNAPSHOT_VERSION, "state": self.canonical_state()}

    @classmethod
    def from_snapshot(
        cls, data: dict[str, Any], book_factory: BookFactory = FastOrderBook
    ) -> MarginGroup:
        """Rebuild a group from `to_snapshot()` data; the liquidation index is recomputed."""
        if data.get("v") not in (1, SNAPSHOT_VERSION):
            raise ValueError(f"unsupported futures snapshot version {data.get('v')!r}")
        state = list(data["state"])
        if data["v"] == 1:
            state.append([])  # no conditional orders
        (
            name,
            insurance,
            fees,
            net_deposits,
            book_seq,
            liq_seq,
            dedupe_window,
            seen_floor,
            seen,
            requests,
            reduce_only,
            contracts,
            books,
            accounts,
            stops,
        ) = state
        group = cls(name, book_factory, dedupe_window)
        group.insurance, group.fees, group.net_deposits = insurance, fees, net_deposits
        group.book_seq, group.liq_seq, group.seen_floor = book_seq, liq_seq, seen_floor
        group.seen_order = deque(seen)
        group.seen = set(seen)
        group.requests = set(requests)
        for spec in contracts:
            group.create_contract(*spec[:10])
            group.contracts[spec[0]].mark = spec[10]
        for user, wallet, positions in accounts:
            acct = group._account(user)
            acct.wallet = wallet
            for cid, size, cost, leverage, *isolated in positions:
                acct.positions[cid] = Position(size, cost, leverage, *isolated)
        for cid, (trade_seq, last_price, resting, _stops) in zip(
            list(group.contracts), books, strict=True
        ):
            book = group.books[cid]
            book.trade_seq, book.last_price = trade_seq, last_price
            for fields in resting:
                order = Order.from_fields(fields, group.next_seq)
                group.next_seq += 1
                book.rest(order)
                acct = group.accounts[order.user]
                acct.orders[order.id] = cid
                if order.id in reduce_only:
                    acct.reduce_only.add(order.id)
            book.touched.clear()
        for fields in stops:
            stop = Stop.from_fields(fields, group.next_seq)
            group.next_seq += 1
            group.stops.add(stop)
            group.accounts[stop.user].stops.add(stop.id)
        for _, acct in sorted(group.accounts.items()):
            for oid, cid in sorted(acct.orders.items()):
                group._rereserve(acct, cid, oid)
        for _, acct in sorted(group.accounts.items()):
            group._reindex(acct)
        return group

    def validate_internal_state(self) -> None:
        """Raise InternalStateError unless the books, the money and the index agree."""
        for book in self.books.values():
            book.validate_internal_state()
        total = self.insurance + self.fees
        for acct in self.accounts.values():
            total += acct.wallet - sum(p.cost for p in acct.positions.values())
            reserved = 0
            for oid, cid in acct.orders.items():
                order = self.books[cid].get(oid)
                if order is None or order.user != acct.user:
                    raise InternalStateError(f"account {acct.user} lists a gone order {oid}")
                if oid not in acct.reduce_only:
                    pos = acct.positions.get(cid)
                    lev = pos.leverage if pos is not None else DEFAULT_LEVERAGE
                    reserved += self.order_margin(self.contracts[cid], lev, order.price, order.qty)
            if reserved != acct.reserved or sum(acct.reserve.values()) != reserved:
                raise InternalStateError(f"account {acct.user} reserves {acct.reserved}")
            if self.is_liquidatable(acct):
                raise InternalStateError(f"account {acct.user} is below maintenance")
            for cid, p in acct.positions.items():
                if p.size == 0 and p.cost != 0:
                    raise InternalStateError(f"account {acct.user}: flat position with cost")
                if (not p.isolated or not p.size) and p.margin:
                    raise InternalStateError(f"account {acct.user}: stray isolated margin")
                if p.isolated and p.size and self.isolated_liquidatable(self.contracts[cid], p):
                    raise InternalStateError(f"account {acct.user}: isolated {cid} under water")
            for oid in acct.stops:
                if self.stops.orders[oid].user != acct.user:
                    raise InternalStateError(f"account {acct.user} lists a gone stop {oid}")
        if sum(len(a.stops) for a in self.accounts.values()) != len(self.stops.orders):
            raise InternalStateError("pending conditional orders disagree")
        if total != self.net_deposits:
            raise InternalStateError(f"money not conserved: {total} != {self.net_deposits}")
        for cid in self.contracts:
            if sum(a.positions[cid].size for a in self.accounts.values() if cid in a.positions):
                raise InternalStateError(f"longs != shorts in contract {cid}")
