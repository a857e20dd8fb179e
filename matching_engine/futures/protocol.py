"""Wire protocol of a futures margin group (docs/matching-protocol.md, "Futures").

Same envelope as spot: msgpack arrays, element 0 the protocol version, one output
entry per input entry. Prices are ticks, quantities lots, money is quote atoms (the
margin asset's smallest unit); a contract's `multiplier` converts: the notional of `q`
lots at `p` ticks is `p * q * multiplier` atoms. Rates (fees, margin rates, funding)
are integers scaled by RATE_SCALE (10**8 = 100 %).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

import msgpack

from ..protocol import VERSION, SelfTradePrevention, TimeInForce

RATE_SCALE: Final = 100_000_000
# Order ids from here up belong to the engine's own liquidation orders.
LIQUIDATION_ID_BASE: Final = 1 << 62


class FuturesCommand(IntEnum):
    PLACE = 1
    CANCEL = 2
    SNAPSHOT = 7
    CONTRACT_CREATE = 20
    DEPOSIT = 21
    WITHDRAW = 22
    SET_LEVERAGE = 23
    MARK_PRICE = 24
    FUNDING = 25
    SET_MARGIN_TYPE = 26
    ADJUST_ISOLATED_MARGIN = 27
    # (28, order, user, price, old_qty, new_qty): Binance's modify of a resting limit order
    MODIFY = 28
    # The names for the two transfer commands: the same numbers and layouts.
    TRANSFER_IN = 21
    TRANSFER_OUT = 22


class FuturesOrderType(IntEnum):
    LIMIT = 0
    LIMIT_MAKER = 1  # GTX, post-only
    MARKET = 2
    # Conditional orders: pending (no margin reserved) until the mark or the last price
    # reaches `stop_price`, then placed as LIMIT (STOP, TAKE_PROFIT) or MARKET.
    STOP = 3
    STOP_MARKET = 4
    TAKE_PROFIT = 5
    TAKE_PROFIT_MARKET = 6
    # Waits for its activation price (or none: active at once), then follows the best
    # working price and fires as a MARKET when the price comes back by the callback rate.
    TRAILING_STOP_MARKET = 7


class WorkingType(IntEnum):
    """Which price triggers a conditional order (Binance's `workingType`)."""

    CONTRACT_PRICE = 0  # the contract's last trade price
    MARK_PRICE = 1


class MarginType(IntEnum):
    CROSSED = 0
    ISOLATED = 1


class FuturesResult(IntEnum):
    """Outcome of one input entry; the spot codes keep their numbers."""

    OK = 0
    DUPLICATE = 1
    MALFORMED = 10
    UNSUPPORTED_VERSION = 11
    UNKNOWN_COMMAND = 12
    INVALID_ORDER_ID = 30
    INVALID_USER_ID = 31
    INVALID_SIDE = 32
    INVALID_TYPE = 33
    INVALID_TIME_IN_FORCE = 34
    INVALID_PRICE = 35
    INVALID_QUANTITY = 36
    INVALID_STOP_PRICE = 37
    INVALID_STP = 38
    POST_ONLY_WOULD_TAKE = 40
    STOP_WOULD_TRIGGER = 41  # a conditional order whose trigger is already reached
    ORDER_ID_TOO_OLD = 42
    UNKNOWN_ORDER = 50
    USER_MISMATCH = 51
    # contracts
    CONTRACT_UNKNOWN = 60
    CONTRACT_EXISTS = 61
    CONTRACT_HALTED = 62
    INVALID_CONTRACT = 63
    NO_MARK_PRICE = 64
    # margin and risk
    INSUFFICIENT_MARGIN = 70
    LEVERAGE_TOO_HIGH = 71
    INVALID_LEVERAGE = 72
    REDUCE_ONLY_WOULD_INCREASE = 73
    BELOW_MIN_NOTIONAL = 74
    INVALID_AMOUNT = 75
    FUNDING_RATE_OVER_CAP = 76
    POSITION_LIMIT = 77  # the resulting position exceeds the last bracket's notional cap
    # isolated margin
    MARGIN_TYPE_HAS_POSITION = 78
    MARGIN_TYPE_HAS_ORDERS = 79
    INVALID_MARGIN_TYPE = 80
    NOT_ISOLATED = 81  # ADJUST_ISOLATED_MARGIN without an open isolated position
    LEVERAGE_REDUCTION_NOT_SUPPORTED = 82  # isolated position open, as Binance -4161
    # conditional orders
    INVALID_WORKING_TYPE = 83
    INVALID_CLOSE_POSITION = 84
    # trailing stops (ADR 0048)
    INVALID_CALLBACK_RATE = 85  # not 10..1000 (0.1 % .. 10 %), or on another type
    NO_WORKING_PRICE = 86  # no activation price and no last trade price to trail from


class FuturesEvent(IntEnum):
    # (1, contract, seq, price, qty, taker_side, taker_order, taker_user, maker_order,
    #  maker_user, taker_fee, maker_fee, taker_realized_pnl, maker_realized_pnl)
    TRADE = 1
    # (2, order, user, reason, qty_left)
    DONE = 2
    # (4, state_hash)
    SNAPSHOT = 4
    # (20, user, contract, size, cost, wallet): after every change of a position
    POSITION = 20
    # (21, user, wallet, delta, reason): wallet changes other than trades and funding
    BALANCE = 21
    # (22, contract, rate, mark, user, amount): amount < 0 paid, > 0 received
    FUNDING = 22
    # (23, user, equity, maintenance_margin): liquidation starts (both in atoms)
    LIQUIDATION = 23
    # (24, contract, price, qty, user, counterparty): ADL of user against counterparty
    ADL = 24
    # (25, fund_balance, delta, user): insurance fund moved because of `user`
    INSURANCE = 25
    # (26, order, user, contract, trigger_price, result): a conditional order triggered;
    # result is the FuturesResult of placing it (non-zero: refused, a DONE follows)
    STOP_TRIGGERED = 26
    # (27, user, contract, isolated_margin, wallet): an isolated position's margin
    # changed (fill, funding, ADJUST_ISOLATED_MARGIN, liquidation); 0 once it is flat
    ISOLATED_MARGIN = 27
    # (28, order, user, contract, price, orig_qty, qty_left, kept_priority): a MODIFY
    # changed a resting order; kept_priority 0 means it was re-queued (trades may follow)
    AMENDED = 28
    # (29, order, user, contract, side, price, qty): the engine sends a liquidation order
    # (IOC at `price`, the bankruptcy price widened by the fund's reach); its TRADEs
    # follow, the rest (no DONE) goes to ADL
    LIQUIDATION_ORDER = 29


class BalanceReason(IntEnum):
    DEPOSIT = 1
    WITHDRAW = 2
    LIQUIDATION_FEE = 3
    INSURANCE_CLEAR = 4


class DoneReason(IntEnum):
    FILLED = 0
    CANCELED = 1
    EXPIRED = 2
    STP_EXPIRED = 3
    LIQUIDATED = 5  # canceled because its account was liquidated
    REDUCE_ONLY = 6  # a reduce-only order no longer reduces the position
    TRIGGER_REJECTED = 7  # a triggered conditional order was refused (see STOP_TRIGGERED)


class ContractStatus(IntEnum):
    TRADING = 1
    HALTED = 2


def _pack(obj: object) -> bytes:
    blob: bytes = msgpack.packb(obj)
    return blob


def encode_contract_create(
    *,
    contract: int,
    symbol: str,
    multiplier: int,
    min_notional: int,
    maker_fee: int,
    taker_fee: int,
    liquidation_fee: int,
    funding_cap: int,
    brackets: list[tuple[int, int, int]],
    status: int = ContractStatus.TRADING,
) -> bytes:
    """`brackets`: (notional cap in atoms, max leverage, maintenance rate), ascending."""
    return _pack(
        [
            VERSION,
            FuturesCommand.CONTRACT_CREATE,
            contract,
            symbol,
            multiplier,
            min_notional,
            maker_fee,
            taker_fee,
            liquidation_fee,
            funding_cap,
            [list(b) for b in brackets],
            status,
        ]
    )


def encode_place(
    *,
    order_id: int,
    user_id: int,
    contract: int,
    side: int,
    order_type: int = FuturesOrderType.LIMIT,
    time_in_force: int = TimeInForce.GTC,
    price: int = 0,
    quantity: int,
    reduce_only: bool = False,
    stp: int = SelfTradePrevention.NONE,
    stop_price: int = 0,
    working_type: int = WorkingType.CONTRACT_PRICE,
    close_position: bool = False,
    callback_rate: int = 0,
) -> bytes:
    """The 12-element PLACE, the 15-element one when a conditional field is set, or the
    16-element one of a TRAILING_STOP_MARKET (`callback_rate` in units of 0.01 %)."""
    fields = [
        VERSION,
        FuturesCommand.PLACE,
        order_id,
        user_id,
        contract,
        side,
        order_type,
        time_in_force,
        price,
        quantity,
        int(reduce_only),
        stp,
    ]
    if stop_price or working_type or close_position or callback_rate:
        fields += [stop_price, working_type, int(close_position)]
    if callback_rate:
        fields.append(callback_rate)
    return _pack(fields)


def encode_cancel(*, order_id: int, user_id: int) -> bytes:
    return _pack([VERSION, FuturesCommand.CANCEL, order_id, user_id])


def encode_modify(*, order_id: int, user_id: int, price: int, old_qty: int, new_qty: int) -> bytes:
    """MODIFY: `old_qty` is the original quantity the sender knows, `new_qty` the new one."""
    return _pack([VERSION, FuturesCommand.MODIFY, order_id, user_id, price, old_qty, new_qty])


def encode_deposit(*, request_id: int, user_id: int, amount: int) -> bytes:
    return _pack([VERSION, FuturesCommand.DEPOSIT, request_id, user_id, amount])


def encode_withdraw(*, request_id: int, user_id: int, amount: int) -> bytes:
    return _pack([VERSION, FuturesCommand.WITHDRAW, request_id, user_id, amount])


def encode_transfer_in(*, request_id: int, user_id: int, amount: int) -> bytes:
    """TRANSFER_IN is DEPOSIT (command 21): spot wallet -> futures wallet."""
    return encode_deposit(request_id=request_id, user_id=user_id, amount=amount)


def encode_transfer_out(*, request_id: int, user_id: int, amount: int) -> bytes:
    """TRANSFER_OUT is WITHDRAW (command 22): decided by the engine (free margin)."""
    return encode_withdraw(request_id=request_id, user_id=user_id, amount=amount)


def encode_set_margin_type(*, user_id: int, contract: int, margin_type: int) -> bytes:
    return _pack([VERSION, FuturesCommand.SET_MARGIN_TYPE, user_id, contract, margin_type])


def encode_adjust_isolated_margin(*, user_id: int, contract: int, delta: int) -> bytes:
    """`delta` > 0 moves cross wallet into the position's margin, < 0 takes it back."""
    return _pack([VERSION, FuturesCommand.ADJUST_ISOLATED_MARGIN, user_id, contract, delta])


def encode_set_leverage(*, user_id: int, contract: int, leverage: int) -> bytes:
    return _pack([VERSION, FuturesCommand.SET_LEVERAGE, user_id, contract, leverage])


def encode_mark_price(*, contract: int, price: int) -> bytes:
    return _pack([VERSION, FuturesCommand.MARK_PRICE, contract, price])


def encode_funding(*, contract: int, rate: int) -> bytes:
    return _pack([VERSION, FuturesCommand.FUNDING, contract, rate])


def encode_snapshot_request() -> bytes:
    return _pack([VERSION, FuturesCommand.SNAPSHOT])
