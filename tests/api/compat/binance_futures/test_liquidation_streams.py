"""A liquidation seen by clients: ``@forceOrder`` / ``!forceOrder@arr``, the liquidated
user's MARGIN_CALL, ORDER_TRADE_UPDATE and ACCOUNT_UPDATE, ccxt.pro binanceusdm's
``watch_liquidations`` / ``watch_my_liquidations`` and ``/fapi/v1/income`` agree with
the engine's own output, through the real engine, clearing, market data and daphne.

docs/futures.md's worked example: the trader moves 3,100 USDT in and buys 1 BTC at
60,000 at 20x (taker fee 30, wallet 3,070); a bid rests 1 at 57,000. At a mark of
57,200 the margin ratio is 236 / 270 (maintenance 57,200 x 0.5 % - 50; equity 3,070 -
2,800): a margin call. At 57,100 the account is below maintenance: the engine's IOC
sells 1 to the bid at 57,000 (realized -3,000), and the 70 left is the liquidation fee.
"""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal
from typing import Any

import msgpack
import pytest
from websockets.sync.client import connect

from exchange.core.redis import get_redis
from exchange.futures import units
from exchange.futures.models import Contract, FuturesTrade, FuturesWallet, Income
from matching_client import entry_ms
from matching_engine.futures.protocol import FuturesEvent
from matching_engine.protocol import output_stream
from tests.api.compat.binance_futures.conftest import set_mark, wait_until
from tests.api.compat.binance_futures.test_ccxt_binanceusdm import SYMBOL, funded
from tests.api.compat.binance_futures.test_streams import data, frames_until, pro_usdm, ws_base
from tests.api.compat.conftest import LiveExchange, Trader

pytestmark = pytest.mark.timeout(300)


def _engine_entry(group: str, entry_id: str) -> list[list[int]]:
    """The events of the engine's answer to input entry ``entry_id``."""
    [(_, fields)] = get_redis().xrange(output_stream(group), entry_id, entry_id)
    return msgpack.unpackb(fields[b"d"])[5]


class _Watcher(threading.Thread):
    """ccxt.pro binanceusdm in its own event loop: every contract's liquidations and the
    trader's own; ``ready`` once the server acknowledged the public subscription and the
    private stream is connected."""

    def __init__(self, live: LiveExchange, trader: Trader) -> None:
        super().__init__(daemon=True)
        self.live, self.trader = live, trader
        self.ready = threading.Event()
        self.public: list[dict[str, Any]] = []
        self.mine: list[dict[str, Any]] = []
        self.error: BaseException | None = None
        self.state = ""
        self.swallowed: list[str] = []

    def run(self) -> None:
        try:
            asyncio.run(self._watch())
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.error = exc

    def _record(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """ccxt handles each frame in a done callback: a handler that raises ends the
        reading of that socket silently, so the test reports what it raised."""
        self.swallowed.append(f"{context.get('message')}: {context.get('exception')!r}")
        loop.default_exception_handler(context)

    async def _watch(self) -> None:
        asyncio.get_running_loop().set_exception_handler(self._record)
        public, private = pro_usdm(self.live), pro_usdm(self.live, self.trader)
        acked = asyncio.Event()
        handle = public.handle_message

        def spy(ws: Any, message: Any) -> Any:
            if isinstance(message, dict) and "result" in message and "id" in message:
                acked.set()
            return handle(ws, message)

        public.handle_message = spy  # before its first connection, which binds it

        async def until(watch: Any, cache: Any) -> None:
            # ccxt resolves a watch with the first of a burst's liquidations; its cache
            # has them all
            while not any(x["contracts"] == 1 for x in cache() or []):
                await watch()

        balance: asyncio.Task[Any] | None = None
        try:
            await public.load_markets()
            await private.load_markets()
            tasks = [
                asyncio.create_task(
                    until(lambda: public.watch_liquidations(SYMBOL), lambda: public.liquidations)
                ),
                asyncio.create_task(
                    until(
                        lambda: private.watch_my_liquidations(SYMBOL),
                        lambda: private.myLiquidations,
                    )
                ),
            ]
            # ccxt's ACCOUNT_UPDATE handler needs the balance cache watch_balance sets up
            # (KeyError 'linear' otherwise, which ends its reading of the private socket
            # whenever an ACCOUNT_UPDATE comes before the liquidation's order updates)
            balance = asyncio.create_task(private.watch_balance())
            self.state = "subscribing"
            await asyncio.wait_for(acked.wait(), 60)
            self.state = "acked"
            # (ccxt also keeps a never-dialed client for its listen-key requests)
            while "linear" not in private.balance or not any(
                "listenKey=" in url and client.connected.done()
                for url, client in private.clients.items()
            ):
                for task in tasks:
                    if task.done():
                        task.result()  # raises what the watch raised
                self.state = f"clients {list(private.clients)}"
                await asyncio.sleep(0.05)
            self.state = "watching"
            self.ready.set()
            done, pending = await asyncio.wait(tasks, timeout=120)
            self.state = f"watching: {len(pending)} of the two watches pending"
            if pending:
                names = ["public liquidations", "my liquidations"]
                raise RuntimeError(
                    [names[tasks.index(task)] for task in pending],
                    self.swallowed,
                    [x["info"] for x in public.liquidations or []],
                    [x["info"] for x in private.myLiquidations or []],
                )
            for task in done:
                task.result()
            self.public, self.mine = list(public.liquidations), list(private.myLiquidations)
        finally:
            if balance is not None:
                balance.cancel()
            await asyncio.wait_for(asyncio.gather(public.close(), private.close()), 30)


def test_a_liquidation_on_force_order_streams_user_stream_and_income(live, quiet_book):
    contract: Contract = quiet_book
    group = contract.margin_asset.code
    # given: the trader 20x long 1 BTC at 60,000, a bid of 1 at 57,000
    trader, ex = funded(live, 3100)
    seller, ex_s = funded(live, 5000)
    bidder, ex_b = funded(live, 5000)
    for client in (ex, ex_s, ex_b):
        client.set_leverage(20, SYMBOL)
    ex_s.create_order(SYMBOL, "limit", "sell", 1, 60000)
    ex.create_order(SYMBOL, "market", "buy", 1)
    wait_until(
        lambda: FuturesWallet.objects.get(user=trader.user).balance == Decimal(3070),
        what="the opening trade cleared",
    )
    ex_b.create_order(SYMBOL, "limit", "buy", 1, 57000)
    key = ex.fapiPrivatePostListenKey()["listenKey"]
    streams = ["btcusdt@forceOrder", "!forceOrder@arr", key]
    watcher = _Watcher(live, trader)
    try:
        with connect(f"{ws_base(live)}/stream?streams={'/'.join(streams)}") as ws:
            watcher.start()
            assert watcher.ready.wait(60), (watcher.error, watcher.state)
            # when: the mark falls to 57,200 (a margin call), then to 57,100
            set_mark(contract, Decimal(57200))
            called = frames_until(
                ws, lambda fs: any(f["data"].get("e") == "MARGIN_CALL" for f in fs), timeout=60
            )
            liquidated_at = set_mark(contract, Decimal(57100))

            def complete(frames: list[dict[str, Any]]) -> bool:
                mine = data(frames, key)
                return (
                    len(data(frames, "btcusdt@forceOrder")) >= 1
                    and len(data(frames, "!forceOrder@arr")) >= 1
                    and any(e["e"] == "ACCOUNT_UPDATE" for e in mine)
                    and any(e.get("o", {}).get("x") == "CALCULATED" for e in mine)
                )

            frames = frames_until(ws, complete, timeout=60)
        watcher.join(180)
        assert watcher.error is None, watcher.error
        assert not watcher.is_alive(), (watcher.state, watcher.swallowed)
    finally:
        set_mark(contract, Decimal(60000))
    # then: the margin call shows the account at 57,200 (docs/futures.md's numbers)
    [call] = [f["data"] for f in called if f["data"].get("e") == "MARGIN_CALL"]
    assert call["cw"] == "3070"
    assert call["p"] == [
        {
            "s": "BTCUSDT",
            "ps": "BOTH",
            "pa": "1",
            "mt": "CROSSED",
            "iw": "0",
            "mp": "57200",
            "up": "-2800",
            "mm": "236",
        }
    ]
    # and: the force order is the engine's liquidation order and its one fill
    events = _engine_entry(group, liquidated_at)
    [(_, order_id, user, _, side, price, qty)] = [
        e for e in events if e[0] == FuturesEvent.LIQUIDATION_ORDER
    ]
    [fill] = [e for e in events if e[0] == FuturesEvent.TRADE and e[6] == order_id]
    assert (user, side, fill[3], fill[4]) == (trader.user.pk, 1, 570_000, qty)
    when = entry_ms(liquidated_at)
    expected = {
        "e": "forceOrder",
        "E": when,
        "o": {
            "s": "BTCUSDT",
            "S": "SELL",
            "o": "LIMIT",
            "f": "IOC",
            "q": "1",
            "p": format(units.price_of(contract, price).normalize(), "f"),
            "ap": "57000",
            "X": "FILLED",
            "l": "1",
            "z": "1",
            "T": when,
        },
    }
    assert expected in data(frames, "btcusdt@forceOrder")
    assert expected in data(frames, "!forceOrder@arr")
    # and: the trader's stream: the liquidation order, its fill, the account after it
    user_events = data(called + frames, key)
    orders = [e["o"] for e in user_events if e["e"] == "ORDER_TRADE_UPDATE"]
    assert [(o["c"], o["o"], o["ot"], o["f"], o["S"], o["x"], o["X"]) for o in orders] == [
        (f"autoclose-{order_id}", "LIQUIDATION", "LIQUIDATION", "IOC", "SELL", "NEW", "NEW"),
        (
            f"autoclose-{order_id}",
            "LIQUIDATION",
            "LIQUIDATION",
            "IOC",
            "SELL",
            "CALCULATED",
            "FILLED",
        ),
    ]
    trade = FuturesTrade.objects.get(taker_order_id=order_id)
    assert (orders[1]["i"], orders[1]["t"], orders[1]["p"]) == (
        order_id,
        trade.trade_seq,
        expected["o"]["p"],
    )
    assert (orders[1]["l"], orders[1]["L"], orders[1]["ap"], orders[1]["rp"], orders[1]["n"]) == (
        "1",
        "57000",
        "57000",
        "-3000",
        "0",
    )
    [account] = [e["a"] for e in user_events if e["e"] == "ACCOUNT_UPDATE"]
    assert account == {
        "m": "ORDER",
        "B": [{"a": "USDT", "wb": "0", "cw": "0", "bc": "-70"}],
        "P": [
            {
                "s": "BTCUSDT",
                "pa": "0",
                "ep": "0",
                "cr": "-3000",  # the liquidation fill's PnL: the position's only one
                "up": "0",
                "mt": "cross",
                "iw": "0",
                "ps": "BOTH",
            }
        ],
    }
    # and: /fapi/v1/income lists the database's rows: the fill's PnL and the fee
    rows = Income.objects.filter(user=trader.user, time__gte=trade.time).order_by("time", "seq")
    assert [(r.income_type, r.amount) for r in rows] == [
        ("REALIZED_PNL", Decimal(-3000)),
        ("LIQUIDATION_FEE", Decimal(-70)),
    ]
    income = ex.fapiPrivateGetIncome({"startTime": when})
    assert [(i["incomeType"], i["income"], i["time"]) for i in income] == [
        ("REALIZED_PNL", "-3000", when),
        ("LIQUIDATION_FEE", "-70", when),
    ]
    assert FuturesWallet.objects.get(user=trader.user).balance == 0
    # and: ccxt.pro parsed the public and the private liquidation alike
    [public] = [x for x in watcher.public if x["contracts"] == 1]
    [mine] = [x for x in watcher.mine if x["contracts"] == 1]
    for seen in (public, mine):
        assert (seen["symbol"], seen["side"], seen["price"], seen["timestamp"]) == (
            "BTC/USDT:USDT",
            "sell",
            57000,
            when,
        )
    # (the seller and the bidder close their positions against each other)
    ex_b.create_order(SYMBOL, "limit", "sell", 1, 60000, params={"reduceOnly": True})
    ex_s.create_order(SYMBOL, "market", "buy", 1, params={"reduceOnly": True})
