"""``cr`` in the user-data stream's ACCOUNT_UPDATE: the position's accumulated realized
PnL before fees, as Binance sends it (binance_f's parser requires it), against the live
exchange and the real futures engine.

A long of 0.1 BTC is opened at 60,000, closed 0.04 at 61,000 (+40), then 0.06 at
59,500 (-30): ``cr`` goes 0, 40, 10, each fill's ``rp`` adds up to it, and a clearer
started again over the same output books nothing twice.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from websockets.sync.client import connect

from exchange.clearing.futures.output import FuturesEntry
from exchange.clearing.futures.runner import GroupClearer
from exchange.futures.models import Income, IncomeType, Position
from tests.api.compat.binance_futures.conftest import answered, set_mark, wait_until
from tests.api.compat.binance_futures.test_ccxt_binanceusdm import SYMBOL, funded
from tests.api.compat.binance_futures.test_streams import frames_until, ws_base


def _of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("e") == kind]


def _settled(ws: Any) -> list[dict[str, Any]]:
    """The frames up to the taker's ACCOUNT_UPDATE of a fill."""
    return frames_until(ws, lambda es: bool(_of(es, "ACCOUNT_UPDATE")), timeout=30)


def test_cr_is_the_positions_accumulated_realized_pnl(live, quiet_book):
    contract = quiet_book
    group = contract.margin_asset.code
    wait_until(lambda: answered(group, set_mark(contract, Decimal(60000))), what="the mark")
    maker, ex_m = funded(live, 5000)
    trader, ex_t = funded(live, 5000)
    key = ex_t.fapiPrivatePostListenKey()["listenKey"]
    with connect(f"{ws_base(live)}/ws/{key}") as ws:
        # when the trader opens 0.1 long at 60,000
        ex_m.create_order(SYMBOL, "limit", "sell", 0.1, 60000)
        ex_t.create_order(SYMBOL, "market", "buy", 0.1)
        opened = _settled(ws)
        # and sells 0.04 into a bid at 61,000, then 0.06 into one at 59,500
        ex_m.create_order(SYMBOL, "limit", "buy", 0.04, 61000)
        ex_t.create_order(SYMBOL, "market", "sell", 0.04, params={"reduceOnly": True})
        reduced = _settled(ws)
        ex_m.create_order(SYMBOL, "limit", "buy", 0.06, 59500)
        ex_t.create_order(SYMBOL, "market", "sell", 0.06, params={"reduceOnly": True})
        closed = _settled(ws)

    # then each ACCOUNT_UPDATE's position carries the running total, before fees
    steps = []
    for frames in (opened, reduced, closed):
        [account] = _of(frames, "ACCOUNT_UPDATE")
        [position] = account["a"]["P"]
        [fill] = [e["o"] for e in _of(frames, "ORDER_TRADE_UPDATE") if e["o"]["x"] == "TRADE"]
        steps.append((position["pa"], fill["rp"], position["cr"]))
    assert steps == [("0.1", "0", "0"), ("0.06", "40", "40"), ("0", "-30", "10")]
    # and it is the position row's total and the sum of its realized PnL income
    row = Position.objects.get(user=trader.user, contract=contract)
    booked = Income.objects.filter(
        user=trader.user, contract=contract, income_type=IncomeType.REALIZED_PNL
    ).values_list("amount", flat=True)
    assert row.realized_pnl == sum(booked, Decimal(0)) == Decimal(10)

    # when a clearer starts again (as after a restart) and the group's whole output is
    # offered to it once more
    clearer = GroupClearer(group, block_ms=1, stop=threading.Event())
    clearer.step()
    everything = [e for e in clearer.fetch("0-0") if isinstance(e, FuturesEntry)]
    assert everything and clearer.apply_entries(everything) is None
    # then nothing is booked twice
    row.refresh_from_db()
    assert row.realized_pnl == Decimal(10)
    maker_row = Position.objects.get(user=maker.user, contract=contract)
    assert (maker_row.size, maker_row.realized_pnl) == (Decimal(0), Decimal(-10))
