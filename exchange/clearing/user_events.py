"""After a clearing commit: tell each user what changed (orders, balances).

Each clearing batch sends each touched user who is listening ONE JSON message
on the Redis pub/sub channel ``user-events:{user_id}``: ``{"time", "orders": [...],
"balances": [...], "executions": [...]}`` with the orders' state after the
batch, the balances as they are when the message is built (at least as new
as the batch: clearing publishes from its own thread, ``publisher.py``), and,
in engine order, every execution of the user's orders in the batch
(accepted, each fill with its price, quantity, commission and trade id,
canceled, expired, rejected) with the order's running totals after it.
Wallet actions send ``{"time", "balances", "balance_updates"}`` on the same
channel (``exchange.wallets.events``). It is the hook the WebSocket user-data
streams subscribe to. Pub/sub is fire-and-forget: a client that was not
listening reads the state over REST. So a message is built only for a user
whose channel has a subscriber (``listening``): most traders, and most bots,
have no user-data stream open, and building their messages was most of
clearing's Python time.

The text is exactly ``json.dumps`` of those dicts, built from per-order
fragments rendered once per batch: an order with many fills in a batch
costs one short string per fill, not a dict of 25 keys and its encoding.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Collection, Sequence
from decimal import Decimal
from functools import cache
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

import redis
from redis.cluster import RedisCluster

from exchange.clearing.locked_orders import LockedOrder
from exchange.clearing.spot.settle import DONE_STATUS, TRADE_COLUMNS, BatchResult
from exchange.core.money import format_money
from exchange.core.redis import get_redis
from exchange.core.user_channel import user_events_channel
from exchange.events.user import OrderListUpdate
from exchange.markets.models import Market
from exchange.orders.list_status import list_status
from exchange.orders.models import Order, OrderList, OrderStatus
from exchange.wallets.models import Balance
from matching_client import CommandType, DoneReason, OrderDone, OutputEntry, ResultCode, Trade

logger = logging.getLogger(__name__)

_dumps = json.dumps
_ENTRY_COMMANDS = (CommandType.PLACE, CommandType.REPLACE, CommandType.PLACE_LIST)
_PRICE, _QTY, _QUOTE, _MAKER, _TAKER = (
    TRADE_COLUMNS.index(c) for c in ("price", "qty", "quote_qty", "maker_order", "taker_order")
)
_MAKER_FEE, _MAKER_FEE_ASSET, _TAKER_FEE, _TAKER_FEE_ASSET = (
    TRADE_COLUMNS.index(c)
    for c in (
        "maker_commission",
        "maker_commission_asset",
        "taker_commission",
        "taker_commission_asset",
    )
)
_NO_FILL = (
    '"last_qty": "0", "last_price": "0", "last_quote_qty": "0", "commission": "0", '
    '"commission_asset": null, "trade_id": -1, "is_maker": false'
)
_FILLED = OrderStatus.FILLED.value
_PARTIALLY_FILLED = OrderStatus.PARTIALLY_FILLED.value
_DONE_STATUS = {reason: status.value for reason, status in DONE_STATUS.items()}
_NEW, _PENDING, _REJECTED = (
    OrderStatus.NEW.value,
    OrderStatus.PENDING_TRIGGER.value,
    OrderStatus.REJECTED.value,
)


def _string(value: str) -> str:
    """``json.dumps`` of a string (the same C encoder, without its per-call set-up)."""
    return encode_basestring_ascii(value)


def _str_json(value: Decimal | None) -> str:
    """``json.dumps(str(value))`` of an amount (its text needs no escaping), "null" for none."""
    return "null" if value is None else f'"{value!s}"'


def _money_json(value: Decimal | None) -> str:
    """``json.dumps(format_money(value))``, "null" for none."""
    return "null" if value is None else f'"{format_money(value)}"'


def _us_ms_json(us: int) -> str:
    """Unix microseconds as ``json.dumps`` of the Unix milliseconds ``datetime.timestamp`` gives."""
    return str(int(us / 10**6 * 1000))


def _ms_json(ms: int | None) -> str:
    return "null" if ms is None else str(ms)


class _OrderText:
    """One order's JSON fragments for a batch; its executions fill in what varies."""

    __slots__ = (
        "exec_end",
        "exec_middle",
        "exec_reason",
        "head",
        "order_json",
        "prices",
        "reports",
        "totals",
        "user_id",
    )

    def __init__(self, order: LockedOrder, symbol_json: str) -> None:
        self.user_id = order.user_id
        price, orig, stop, quote = (
            order.price,
            order.orig_qty,
            order.stop_price,
            order.quote_order_qty,
        )
        self.head = (
            f'{{"symbol": {symbol_json}, "order_id": {order.id}, '
            f'"client_order_id": {_string(order.client_order_id)}, "side": {_string(order.side)}, '
            f'"type": {_string(order.type)}, "status": '
        )
        self.prices = (
            f', "price": {_str_json(price)}, "orig_qty": {_str_json(orig)}, "executed_qty": '
        )
        update = f', "update_time": {_ms_json(order.updated_ms)}'
        self.order_json = (
            f'{self.head}{_string(order.status)}{self.prices}"{order.executed_qty!s}", '
            f'"cumulative_quote_qty": "{order.cumulative_quote_qty!s}"{update}}}'
        )
        self.exec_middle = f'{update}, "execution": "'
        self.exec_reason = (
            f'", "time_in_force": {_string(order.time_in_force)}, '
            f'"stop_price": {_money_json(stop)}, "quote_order_qty": {_money_json(quote)}, '
            '"reject_reason": '
        )
        list_id = -1 if order.order_list_id is None else order.order_list_id
        self.exec_end = (
            f', "order_time": {_us_ms_json(order.created_us)}, "order_list_id": {list_id}, '
            '"event_time": '
        )
        # Running totals (executed, quote): the state after the batch minus the batch's fills.
        self.totals = [order.executed_qty, order.cumulative_quote_qty]
        self.reports: list[_Execution] = []  # the user's message's executions


class _MoneyText(dict[Decimal, str]):
    """``format_money`` for one batch: each distinct amount is formatted once."""

    def __missing__(self, value: Decimal) -> str:
        text = self[value] = format_money(value)
        return text


class _Execution:
    """One execution report: its order's fragments and what differs per report."""

    __slots__ = ("executed", "fill", "kind", "order", "quote", "reason", "status", "when")

    def __init__(
        self,
        order: _OrderText,
        kind: str,
        status: str,
        when: int,
        reason: str,
        fill: str,
        money: _MoneyText,
    ) -> None:
        self.order, self.kind, self.status, self.when = order, kind, status, when
        self.reason, self.fill = reason, fill
        self.executed, self.quote = money[order.totals[0]], money[order.totals[1]]

    def json(self) -> str:
        o = self.order
        return (
            f'{o.head}"{self.status}"{o.prices}"{self.executed}", '
            f'"cumulative_quote_qty": "{self.quote}"'
            f"{o.exec_middle}{self.kind}{o.exec_reason}"
            f"{self.reason}, {self.fill}{o.exec_end}{self.when}}}"
        )


class _Message:
    __slots__ = ("balances", "executions", "order_lists", "orders")

    def __init__(self) -> None:
        self.order_lists: list[str] = []
        self.orders: list[str] = []
        self.balances: list[str] = []
        self.executions: list[_Execution] = []


class _Builder:
    """The messages of one batch, per user id."""

    def __init__(self, market: Market, result: BatchResult, users: Collection[int]) -> None:
        self.market, self.result, self.users = market, result, users
        symbol_json = _string(market.symbol)
        self.texts = {
            pk: _OrderText(order, symbol_json)
            for pk, order in result.orders.items()
            if order.user_id in users
        }
        self.messages: dict[int, _Message] = {}
        for text in self.texts.values():
            text.reports = self.message(text.user_id).executions
        self.latest: int | None = None  # the newest execution's time
        self.money = _MoneyText()

    def message(self, user_id: int) -> _Message:
        message = self.messages.get(user_id)
        if message is None:
            message = self.messages[user_id] = _Message()
        return message

    def report(
        self, pk: int, kind: str, status: str, when: int, fill: str = _NO_FILL
    ) -> _Execution:
        text = self.texts[pk]
        reason = _string(self.result.orders[pk].reject_reason) if kind == "REJECTED" else '""'
        item = _Execution(text, kind, status, when, reason, fill, self.money)
        self.latest = when  # entries come in time order
        text.reports.append(item)
        return item

    def executions(self, entries: Sequence[OutputEntry]) -> None:
        """Add every execution of the batch's orders, in engine order."""
        texts, orders, money = self.texts, self.result.orders, self.money
        fills: dict[Any, tuple[Any, ...]] = {row[1]: row for row in self.result.trade_rows}
        for fill in fills.values():
            for pk in (fill[_MAKER], fill[_TAKER]):
                text = texts.get(pk)
                if text is not None:
                    text.totals[0] -= fill[_QTY]
                    text.totals[1] -= fill[_QUOTE]
        market = self.market
        assets = {market.base_id: market.base.code, market.quote_id: market.quote.code}
        asset_json = {asset_id: _string(code) for asset_id, code in assets.items()}
        for entry in entries:
            when = int(entry.entry_id.partition("-")[0])
            last_fill: dict[int, _Execution] = {}
            pk = entry.order_id
            if entry.command is CommandType.AMEND:
                if entry.result == ResultCode.OK and pk in texts:
                    # Binance's execution type for an amend keep priority.
                    status = _PARTIALLY_FILLED if texts[pk].totals[0] else _NEW
                    self.report(pk, "REPLACED", status, when)
                continue
            if entry.command in _ENTRY_COMMANDS and pk in texts:
                for leg in self._entered(entry):
                    if entry.result == ResultCode.OK:
                        pending = orders[leg].status == OrderStatus.PENDING_TRIGGER
                        self.report(leg, "NEW", _PENDING if pending else _NEW, when)
                    elif entry.result != ResultCode.DUPLICATE:
                        self.report(leg, "REJECTED", _REJECTED, when)
            for event in entry.events:
                if type(event) is Trade:
                    trade = fills.get(event.trade_id)
                    if trade is None:
                        continue
                    qty, quote = trade[_QTY], trade[_QUOTE]
                    common = (
                        f'"last_qty": "{money[qty]}", '
                        f'"last_price": "{money[trade[_PRICE]]}", '
                        f'"last_quote_qty": "{money[quote]}", "commission": "'
                    )
                    tail = f', "trade_id": {event.trade_id}, "is_maker": '
                    for pk, fee, asset, maker in (
                        (trade[_MAKER], trade[_MAKER_FEE], trade[_MAKER_FEE_ASSET], "true"),
                        (trade[_TAKER], trade[_TAKER_FEE], trade[_TAKER_FEE_ASSET], "false"),
                    ):
                        text = texts.get(pk)
                        if text is None:
                            continue
                        totals = text.totals
                        totals[0] += qty
                        totals[1] += quote
                        fill_text = (
                            f'{common}{money[fee]}", "commission_asset": '
                            f"{asset_json.get(asset, 'null')}{tail}{maker}"
                        )
                        last_fill[pk] = self.report(pk, "TRADE", _PARTIALLY_FILLED, when, fill_text)
                elif type(event) is OrderDone and event.order_id in texts:
                    pk = event.order_id
                    if event.reason == DoneReason.FILLED and pk in last_fill:
                        last_fill[pk].status = _FILLED
                        continue
                    status = _DONE_STATUS[event.reason]
                    self.report(pk, "TRADE" if status == _FILLED else status, status, when)

    def _entered(self, entry: OutputEntry) -> list[int]:
        """The orders an entry command entered: one, or an OCO's two legs."""
        pk = entry.order_id
        list_id = self.result.orders[pk].order_list_id
        if entry.command is not CommandType.PLACE_LIST or list_id is None:
            return [pk]
        return sorted(
            o.id
            for o in self.result.orders.values()
            if o.order_list_id == list_id and o.id in self.texts
        )

    def order_lists(self) -> None:
        """Add each touched OCO's status, read after the batch's commit (its legs')."""
        touched = {
            o.order_list_id
            for o in self.result.orders.values()
            if o.order_list_id is not None and o.user_id in self.users
        }
        if not touched:
            return
        legs: dict[int, list[tuple[int, str, str]]] = {}
        for list_id, pk, client_id, leg_status in (
            Order.objects.filter(order_list_id__in=touched)
            .order_by("pk")
            .values_list("order_list_id", "pk", "client_order_id", "status")
        ):
            legs.setdefault(list_id, []).append((pk, client_id, leg_status))
        symbol = self.market.symbol
        when = self.latest or 0
        for order_list in OrderList.objects.filter(pk__in=touched).order_by("pk"):
            its_legs = legs.get(order_list.pk, [])
            status = list_status([leg[2] for leg in its_legs])
            update: OrderListUpdate = {
                "symbol": symbol,
                "order_list_id": order_list.pk,
                "contingency_type": order_list.contingency_type,
                "list_status_type": status.status_type,
                "list_order_status": status.order_status,
                "list_client_order_id": order_list.list_client_order_id,
                "transaction_time": when,
                "orders": [
                    {"symbol": symbol, "order_id": pk, "client_order_id": client_id}
                    for pk, client_id, _ in its_legs
                ],
            }
            self.message(order_list.user_id).order_lists.append(_dumps(update))

    def orders(self) -> None:
        for text in self.texts.values():
            self.message(text.user_id).orders.append(text.order_json)

    def balances(self) -> None:
        """Add each touched balance as it is now (read after the batch's commit)."""
        wanted = {key for key in self.result.balances if key[0] in self.users}
        if not wanted:
            return
        users = {user_id for user_id, _ in wanted}
        rows = (
            Balance.objects.filter(account__user_id__in=users)
            .order_by("account__user_id", "asset_id")
            .values_list("account__user_id", "asset_id", "asset__code", "available", "locked")
        )
        for user_id, asset_id, code, available, locked in rows:
            if (user_id, asset_id) in wanted:
                self.message(user_id).balances.append(
                    _dumps({"asset": code, "free": str(available), "locked": str(locked)})
                )

    def texts_by_user(self) -> dict[int, str]:
        # The engine's time of the batch (deterministic: a replay sends the same message).
        times = [o.updated_ms for o in self.result.orders.values() if o.updated_ms]
        if self.latest is not None:
            times.append(self.latest)
        now = max(times) if times else int(time.time() * 1000)
        return {
            user_id: (
                f'{{"time": {now}, "orders": [{", ".join(m.orders)}], '
                f'"balances": [{", ".join(m.balances)}], '
                f'"executions": [{", ".join([x.json() for x in m.executions])}]'
                + (f', "order_lists": [{", ".join(m.order_lists)}]}}' if m.order_lists else "}")
            )
            for user_id, m in self.messages.items()
        }


def touched_users(result: BatchResult) -> set[int]:
    """The users a batch has news for: the owners of its changed orders."""
    return {order.user_id for order in result.orders.values()}


def messages(
    market: Market,
    entries: Sequence[OutputEntry],
    result: BatchResult,
    users: Collection[int] | None = None,
) -> dict[int, str]:
    """The batch's message text per user id, for ``users`` only when given.

    ``entries``: the applied ones, in order. A user's text does not depend on
    which other users get one.
    """
    if not result.orders:
        return {}
    builder = _Builder(market, result, touched_users(result) if users is None else users)
    builder.executions(entries)
    builder.orders()
    builder.order_lists()
    builder.balances()
    return builder.texts_by_user()


@cache
def _numsub_refused() -> None:
    """Say once per process that every touched user gets their events (no filter)."""
    logger.warning("Redis refused PUBSUB NUMSUB: user events go to every touched user")


def listening(client: redis.Redis, users: Collection[int]) -> set[int]:
    """The ``users`` whose channel has a subscriber now (``PUBSUB NUMSUB``, one round trip).

    In a Redis Cluster a subscriber is counted only by its own node, and a server
    that refuses ``PUBSUB`` (an ACL, a proxy) cannot tell: there every user counts
    as listening.
    """
    if isinstance(client, RedisCluster):
        return set(users)
    ids = list(users)
    try:
        counts = client.pubsub_numsub(*(user_events_channel(user_id) for user_id in ids))
    except redis.ResponseError:
        _numsub_refused()
        return set(ids)
    return {user_id for user_id, (_, count) in zip(ids, counts, strict=True) if count}


def publish_batch(market: Market, entries: Sequence[OutputEntry], result: BatchResult) -> None:
    """Publish one message per touched user who is listening, with their executions, orders
    and balances.

    A message is built only for a user whose channel has a subscriber when the
    batch (already committed) is published. Whoever subscribes later reads the
    state after subscribing (the WebSocket user-data stream's REST snapshot,
    ``outcome.wait_for_orders``' re-read), and that state holds this batch.
    """
    if not result.orders:
        return
    try:
        client = get_redis()
        texts = messages(market, entries, result, listening(client, touched_users(result)))
        if not texts:
            return
        if isinstance(client, RedisCluster):
            # A cluster pipeline refuses PUBLISH (it names no key); one call per user.
            for user_id, text in texts.items():
                client.publish(user_events_channel(user_id), text)
            return
        pipe = client.pipeline(transaction=False)
        for user_id, text in texts.items():
            pipe.publish(user_events_channel(user_id), text)
        pipe.execute()
    except (redis.RedisError, OSError):
        logger.warning("could not publish events of %s", market.symbol, exc_info=True)
