"""A hypothesis state machine over the futures commands, on both books at once.

Every rule sends one command to a group on the fast book and one on the naive book;
after every step both outputs are equal and the invariants hold (conservation,
longs = shorts, nobody below maintenance, no negative equity). A rule also swaps the
fast group for its own snapshot, so replay after a restore is checked mid-run.
"""

from __future__ import annotations

from typing import Any

import msgpack
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from matching_engine.book_fast import FastOrderBook
from matching_engine.book_naive import NaiveOrderBook
from matching_engine.futures import protocol as fp
from matching_engine.futures.engine import MarginGroup
from tests.matching_engine.futures.support import FUNDING_CAP, usdt
from tests.matching_engine.futures.workload import CONTRACTS, setup_commands

USERS = st.integers(min_value=1, max_value=5)
CIDS = st.sampled_from(sorted(CONTRACTS))
_RARE = {fp.FuturesEvent.LIQUIDATION, fp.FuturesEvent.ADL, fp.FuturesEvent.INSURANCE}


class FuturesMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.fast = MarginGroup("USDT", FastOrderBook)
        self.naive = MarginGroup("USDT", NaiveOrderBook)
        self.next_id = 0
        self.marks = {cid: mark for cid, (_, mark) in CONTRACTS.items()}
        self.placed: list[tuple[int, int]] = []
        for blob in setup_commands():
            self.send(blob)

    def send(self, blob: bytes) -> list[Any]:
        out = self.fast.apply(blob)
        assert out == self.naive.apply(blob)
        decoded: list[Any] = msgpack.unpackb(out)
        for kind in {e[0] for e in decoded[5]} & _RARE:
            event(fp.FuturesEvent(kind).name)
        return decoded

    def fresh_id(self) -> int:
        self.next_id += 1
        return self.next_id

    @rule(user=USERS, amount=st.sampled_from((usdt(200), usdt(1_000), usdt(3_100), 123_456_789)))
    def deposit(self, user: int, amount: int) -> None:
        self.send(fp.encode_deposit(request_id=self.fresh_id(), user_id=user, amount=amount))

    @rule(user=USERS, amount=st.integers(min_value=1, max_value=usdt(2_000)))
    def withdraw(self, user: int, amount: int) -> None:
        self.send(fp.encode_withdraw(request_id=self.fresh_id(), user_id=user, amount=amount))

    @rule(user=USERS, cid=CIDS, leverage=st.sampled_from((1, 3, 20, 75, 125)))
    def set_leverage(self, user: int, cid: int, leverage: int) -> None:
        self.send(fp.encode_set_leverage(user_id=user, contract=cid, leverage=leverage))

    @rule(
        user=USERS,
        cid=CIDS,
        side=st.integers(min_value=0, max_value=1),
        otype=st.sampled_from((0, 0, 1, 2)),
        tif=st.integers(min_value=0, max_value=2),
        offset=st.integers(min_value=-300, max_value=300),
        qty=st.sampled_from((1, 7, 100, 1_000, 5_000)),
        reduce_only=st.booleans(),
    )
    def place(
        self,
        user: int,
        cid: int,
        side: int,
        otype: int,
        tif: int,
        offset: int,
        qty: int,
        reduce_only: bool,
    ) -> None:
        mark = self.marks[cid]
        oid = self.fresh_id()
        self.send(
            fp.encode_place(
                order_id=oid,
                user_id=user,
                contract=cid,
                side=side,
                order_type=otype,
                time_in_force=tif if otype == 0 else 0,
                price=0 if otype == 2 else max(1, mark + offset * mark // 10_000),
                quantity=qty,
                reduce_only=reduce_only,
            )
        )
        self.placed.append((oid, user))

    @rule(
        maker=USERS,
        taker=USERS,
        cid=CIDS,
        side=st.integers(min_value=0, max_value=1),
        offset=st.integers(min_value=-50, max_value=50),
        qty=st.sampled_from((10, 500, 1_000, 3_000)),
    )
    def cross(self, maker: int, taker: int, cid: int, side: int, offset: int, qty: int) -> None:
        """A resting order and a taker at its price: positions open, grow and close."""
        price = max(1, self.marks[cid] + offset * self.marks[cid] // 10_000)
        for user, s, tif in ((maker, side, 0), (taker, 1 - side, 1)):
            self.send(
                fp.encode_place(
                    order_id=self.fresh_id(),
                    user_id=user,
                    contract=cid,
                    side=s,
                    time_in_force=tif,
                    price=price,
                    quantity=qty,
                )
            )

    @rule(user=USERS, cid=CIDS, isolated=st.integers(min_value=0, max_value=1))
    def set_margin_type(self, user: int, cid: int, isolated: int) -> None:
        self.send(fp.encode_set_margin_type(user_id=user, contract=cid, margin_type=isolated))

    @rule(user=USERS, cid=CIDS, delta=st.integers(min_value=-usdt(2_000), max_value=usdt(2_000)))
    def adjust_isolated_margin(self, user: int, cid: int, delta: int) -> None:
        self.send(fp.encode_adjust_isolated_margin(user_id=user, contract=cid, delta=delta))

    @rule(
        user=USERS,
        cid=CIDS,
        side=st.integers(min_value=0, max_value=1),
        otype=st.sampled_from(tuple(range(3, 7))),
        offset=st.integers(min_value=-500, max_value=500),
        qty=st.sampled_from((0, 10, 1_000)),
        working=st.integers(min_value=0, max_value=1),
    )
    def place_conditional(
        self, user: int, cid: int, side: int, otype: int, offset: int, qty: int, working: int
    ) -> None:
        """STOP / TAKE_PROFIT (limit or market), qty 0 meaning closePosition."""
        mark = self.marks[cid]
        oid = self.fresh_id()
        market = otype in (fp.FuturesOrderType.STOP_MARKET, fp.FuturesOrderType.TAKE_PROFIT_MARKET)
        self.send(
            fp.encode_place(
                order_id=oid,
                user_id=user,
                contract=cid,
                side=side,
                order_type=otype,
                price=0 if market else max(1, mark - offset * mark // 10_000),
                quantity=qty,
                stop_price=max(1, mark + offset * mark // 10_000),
                working_type=working,
                close_position=qty == 0,
            )
        )
        self.placed.append((oid, user))

    @precondition(lambda self: bool(self.placed))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        oid, user = data.draw(st.sampled_from(self.placed))
        self.send(fp.encode_cancel(order_id=oid, user_id=user))

    @precondition(lambda self: bool(self.placed))
    @rule(
        data=st.data(),
        filled=st.sampled_from((0, 0, 10, 500)),
        new_qty=st.sampled_from((1, 10, 400, 1_000, 3_000)),
        offset=st.integers(min_value=-50, max_value=50),
    )
    def modify(self, data: st.DataObject, filled: int, new_qty: int, offset: int) -> None:
        """MODIFY of a placed order: kept in place, re-queued, canceled or refused alike."""
        oid, user = data.draw(st.sampled_from(self.placed))
        resting = None
        for book in self.fast.books.values():
            resting = resting or book.get(oid)
        price = resting.price if resting is not None else 1
        if offset and resting is not None:
            price = max(1, price + offset * price // 10_000)
        left = resting.qty if resting is not None else 1
        self.send(
            fp.encode_modify(
                order_id=oid, user_id=user, price=price, old_qty=left + filled, new_qty=new_qty
            )
        )

    @rule(cid=CIDS, percent=st.integers(min_value=-12, max_value=12))
    def mark_price(self, cid: int, percent: int) -> None:
        self.marks[cid] = max(1, self.marks[cid] + self.marks[cid] * percent // 100)
        self.send(fp.encode_mark_price(contract=cid, price=self.marks[cid]))

    @rule(cid=CIDS, rate=st.integers(min_value=-FUNDING_CAP, max_value=FUNDING_CAP))
    def funding(self, cid: int, rate: int) -> None:
        self.send(fp.encode_funding(contract=cid, rate=rate))

    @rule()
    def restore_from_snapshot(self) -> None:
        blob = msgpack.packb(self.fast.to_snapshot())
        restored = MarginGroup.from_snapshot(msgpack.unpackb(blob), FastOrderBook)
        assert restored.state_hash() == self.fast.state_hash() == self.naive.state_hash()
        self.fast = restored

    @invariant()
    def money_is_conserved_and_nobody_is_under_water(self) -> None:
        for group in (self.fast, self.naive):
            group.validate_internal_state()
            for acct in group.accounts.values():
                assert group.equity(acct) >= 0


FuturesMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=100, deadline=None)
TestFuturesMachine = FuturesMachine.TestCase
