"""The orders of a clearing batch: read locked, changed in memory, written back in one statement.

Clearing and the user events need 15 of an order's 25 columns, and of its
timestamps only whether it was accepted and when it was created. So orders
are read as ``LockedOrder`` values (no Django ``Order``: no per-field set-up),
times as integers (``created_us``: Unix microseconds; the times clearing
writes: Unix milliseconds of the engine entry), and on PostgreSQL one
``SELECT ... FOR UPDATE`` and one ``UPDATE ... FROM unnest(...)`` whose
arrays are built per column by type: the hot path of clearing (bench/RESULTS.md).
The values written are exactly the ones a ``save()`` would write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import connection

from exchange.core.bulk import decimal_array, ids_match, int_array, text_array
from exchange.core.money_db import to_db_money
from exchange.markets.models import Market
from exchange.orders.models import Order

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
_MS = dt.timedelta(milliseconds=1)

# Read as they are, in LockedOrder's order, after which come ``created_us`` and ``accepted``.
_PLAIN = (
    "id",
    "user_id",
    "client_order_id",
    "side",
    "type",
    "time_in_force",
    "status",
    "price",
    "stop_price",
    "orig_qty",
    "quote_order_qty",
    "executed_qty",
    "cumulative_quote_qty",
    "locked_remaining",
    "reject_reason",
    "order_list_id",
)


class LockedOrder:
    """What clearing and the user events read of one order; clearing changes the last fields.

    ``accepted_ms`` and ``done_ms`` are written only when set (not None);
    ``updated_ms`` is set for every order clearing changes.
    """

    __slots__ = (
        *_PLAIN,
        "accepted",
        "accepted_ms",
        "created_us",
        "done_ms",
        "updated_ms",
    )

    id: int
    user_id: int
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    status: str
    price: Decimal | None
    stop_price: Decimal | None
    orig_qty: Decimal | None
    quote_order_qty: Decimal | None
    executed_qty: Decimal
    cumulative_quote_qty: Decimal
    locked_remaining: Decimal
    reject_reason: str
    order_list_id: int | None  # an OCO leg's list
    created_us: int  # Unix microseconds
    accepted: bool  # accepted_at is set (before or in this batch)
    accepted_ms: int | None  # Unix milliseconds, when accepted in this batch
    done_ms: int | None
    updated_ms: int | None

    def __init__(self, values: Sequence[Any]) -> None:
        (
            self.id,
            self.user_id,
            self.client_order_id,
            self.side,
            self.type,
            self.time_in_force,
            self.status,
            self.price,
            self.stop_price,
            self.orig_qty,
            self.quote_order_qty,
            self.executed_qty,
            self.cumulative_quote_qty,
            self.locked_remaining,
            self.reject_reason,
            self.order_list_id,
            self.created_us,
            self.accepted,
        ) = values  # in _PLAIN order, then created_us and accepted
        self.accepted_ms = self.done_ms = self.updated_ms = None


def lock_orders(ids: Iterable[int], market: Market) -> dict[int, LockedOrder]:
    """Lock the market's orders among ``ids`` (in id order) and read them, by id."""
    rows = _locked_rows(sorted(ids), market)
    return {values[0]: LockedOrder(values) for values in rows}


def _locked_rows(ids: list[int], market: Market) -> Iterable[Sequence[Any]]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_lock_sql(), [int_array(ids), market.pk])
            return cursor.fetchall()
    rows = (
        Order.objects.select_for_update()
        .filter(pk__in=ids, market=market)
        .order_by("pk")
        .values_list(*_PLAIN, "created_at", "accepted_at")
    )
    return [(*row[:-2], (row[-2] - _EPOCH) // _US, row[-1] is not None) for row in rows]


@cache
def _lock_sql() -> str:
    quote = connection.ops.quote_name
    meta = Order._meta
    columns = ", ".join(quote(str(meta.get_field(n).column)) for n in _PLAIN)  # type: ignore[union-attr]
    created, accepted = quote("created_at"), quote("accepted_at")
    pk, market = quote(str(meta.pk.column)), quote("market_id")  # type: ignore[union-attr]
    # EXTRACT(EPOCH ...) of a timestamptz is an exact numeric (PostgreSQL 14+).
    return (
        f"SELECT {columns}, (EXTRACT(EPOCH FROM {created}) * 1000000)::bigint, "  # noqa: S608 - identifiers from metadata
        f"{accepted} IS NOT NULL FROM {quote(meta.db_table)} "
        f"WHERE {ids_match(pk)} AND {market} = %s ORDER BY {pk} FOR UPDATE"
    )


def write_orders(orders: Sequence[LockedOrder]) -> None:
    """Write what clearing changed of ``orders`` (all locked by this transaction)."""
    if not orders:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _update_sql(),
                [
                    "{" + ",".join([o.status for o in orders]) + "}",  # plain upper-case words
                    decimal_array([o.executed_qty for o in orders]),
                    decimal_array([o.cumulative_quote_qty for o in orders]),
                    decimal_array([o.locked_remaining for o in orders]),
                    text_array([o.reject_reason for o in orders]),
                    int_array([o.accepted_ms for o in orders]),
                    int_array([o.done_ms for o in orders]),
                    int_array([o.updated_ms for o in orders]),
                    ids := int_array([o.id for o in orders]),
                    ids,
                ],
            )
            return
        cursor.executemany(
            _update_sql(),
            [
                [
                    o.status,
                    to_db_money(o.executed_qty),
                    to_db_money(o.cumulative_quote_qty),
                    to_db_money(o.locked_remaining),
                    o.reject_reason,
                    _db_time(o.accepted_ms),
                    _db_time(o.done_ms),
                    _db_time(o.updated_ms),
                    o.id,
                ]
                for o in orders
            ],
        )


def _db_time(ms: int | None) -> Any:
    if ms is None:
        return None
    return connection.ops.adapt_datetimefield_value(_EPOCH + ms * _MS)


@cache
def _update_sql() -> str:
    quote = connection.ops.quote_name
    table, pk = quote(Order._meta.db_table), quote("id")
    status, executed, cumulative, locked, reason, accepted, done, updated = (
        quote(c)
        for c in (
            "status",
            "executed_qty",
            "cumulative_quote_qty",
            "locked_remaining",
            "reject_reason",
            "accepted_at",
            "done_at",
            "updated_at",
        )
    )
    if connection.vendor != "postgresql":
        return (
            f"UPDATE {table} SET {status} = %s, {executed} = %s, {cumulative} = %s, "  # noqa: S608
            f"{locked} = %s, {reason} = %s, "
            f"{accepted} = COALESCE({accepted}, %s), {done} = COALESCE(%s, {done}), "
            f"{updated} = %s WHERE {pk} = %s"
        )
    # Milliseconds to a timestamptz: ``interval * bigint`` multiplies the interval's
    # microseconds in float8, exact while they stay below 2**53 (the year 2255).
    epoch = "TIMESTAMPTZ 'epoch' + INTERVAL '1 millisecond' * v"
    # The id match lets the planner find the rows by index; joined on
    # ``v.pk`` alone it scans the whole table (exchange.core.bulk).
    return (
        f"UPDATE {table} AS t SET {status} = v.status, {executed} = v.executed, "  # noqa: S608
        f"{cumulative} = v.cumulative, {locked} = v.locked, "
        f"{reason} = v.reason, "
        f"{accepted} = COALESCE(t.{accepted}, {epoch}.accepted), "
        f"{done} = COALESCE({epoch}.done, t.{done}), {updated} = {epoch}.updated "
        "FROM unnest(%s::varchar[], %s::numeric[], %s::numeric[], %s::numeric[], %s::varchar[], "
        "%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) "
        "AS v(status, executed, cumulative, locked, reason, accepted, done, updated, pk) "
        f"WHERE t.{pk} = v.pk AND {ids_match(f't.{pk}')}"
    )
