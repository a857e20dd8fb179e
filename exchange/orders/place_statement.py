"""Order entry of one order as ONE PostgreSQL statement (ADR 0006).

The general path (``actions.do_place_orders``) takes ~7 round trips per
order (BEGIN, insert the order, the account, the journal entry, its lines,
the balance update, COMMIT), and two thirds of its time is Django building
them. Here one statement does the same writes, with the same rows, the same
guard and the same all-or-nothing:

1. the balance row moves ``amount`` from available to locked only if
   ``available >= amount`` (the row update and CHECK constraints, as in
   ``wallets.ledger``);
2. the order is inserted only if 1 moved a row;
3. the ORDER_LOCK journal entry ``order:<id>`` and its two ledger lines
   (available −amount, locked +amount) are inserted only if 2 did.

A single statement is atomic, so a refusal (no row returned) or an error
(a duplicate client order id) leaves nothing behind. It runs in autocommit
(one round trip); inside a caller's transaction, under a savepoint.

It is PREPAREd once per connection and EXECUTEd per order: parsing and
planning this statement took PostgreSQL more CPU than running it (ADR 0009).
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from enum import Enum
from functools import cache
from operator import attrgetter
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field

from exchange.orders.models import Order
from exchange.wallets.models import (
    Account,
    AccountKind,
    Balance,
    Bucket,
    JournalEntry,
    JournalReason,
    LedgerLine,
)


def _column(model: type, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)  # type: ignore[attr-defined]


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


# The order's columns that order entry sets, sent as parameters. ``locked_remaining``
# and ``updated_at`` repeat ``locked`` and ``created_at`` (SAME_AS); every other
# column is its field's default, a constant in the statement's text.
PARAMETER_FIELDS = (
    "user",
    "market",
    "locked_asset",
    "client_order_id",
    "side",
    "type",
    "time_in_force",
    "self_trade_prevention",
    "status",
    "price",
    "stop_price",
    "trailing_delta",
    "orig_qty",
    "quote_order_qty",
    "locked",
    "created_at",
)
SAME_AS = {"locked_remaining": "locked", "updated_at": "created_at"}


def _order_fields() -> list[Field]:
    return [f for f in Order._meta.concrete_fields if not f.primary_key]


def _parameter_fields() -> list[Field]:
    return [Order._meta.get_field(name) for name in PARAMETER_FIELDS]  # type: ignore[misc]


def _literal(cursor: Any, value: object) -> str:
    return str(cursor.mogrify("%s", [value]).decode())


def _default(cursor: Any, field: Field) -> str:
    """``field``'s default at entry as an SQL literal; an error for a default that varies."""
    needs_value = callable(field.default) if field.has_default() else not field.null
    if needs_value:
        raise TypeError(
            f"Order.{field.name} needs a value from order entry: add it to PARAMETER_FIELDS"
        )
    return _literal(cursor, field.get_db_prep_save(field.get_default(), connection))


@dataclass(frozen=True)
class _Prepared:
    """The statement as a server-side prepared statement: PREPARE once, EXECUTE per order."""

    prepare: str
    execute: str
    fields: list[Field]
    read: attrgetter[Any]  # the order's values of ``fields``, in one call


@cache
def _prepared() -> _Prepared:
    """The statement, built once from the models' metadata (no input in it).

    Parameters: ``PARAMETER_FIELDS``, in that order. The balance update, the
    journal entry and the ledger lines reuse the order's own user, locked asset,
    ``locked`` amount and ``created_at`` parameters, so they cannot disagree.
    """
    fields = _parameter_fields()
    position = {f.name: f"${n}" for n, f in enumerate(fields, start=1)}
    user, asset = position["user"], position["locked_asset"]
    amount, created = position["locked"], position["created_at"]
    types = [str(f.cast_db_type(connection)) for f in fields]
    with connection.cursor() as cursor:
        values = {
            f.name: position.get(f.name)
            or position.get(SAME_AS.get(f.name, ""))
            or _default(cursor, f)
            for f in _order_fields()
        }
        kind, reason, available_bucket, locked_bucket = (
            _literal(cursor, value)
            for value in (
                AccountKind.USER,
                JournalReason.ORDER_LOCK,
                Bucket.AVAILABLE,
                Bucket.LOCKED,
            )
        )
    order_columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in _order_fields())
    available, locked = _column(Balance, "available"), _column(Balance, "locked")
    order_pk = connection.ops.quote_name(str(Order._meta.pk.column))  # type: ignore[union-attr]
    entry_pk = connection.ops.quote_name(str(JournalEntry._meta.pk.column))  # type: ignore[union-attr]
    body = f"""
WITH balance AS (
    UPDATE {_table(Balance)} AS b
    SET {available} = b.{available} - {amount}, {locked} = b.{locked} + {amount}
    WHERE b.{_column(Balance, "account")} = (
        SELECT a.{_column(Account, "id")} FROM {_table(Account)} AS a
        WHERE a.{_column(Account, "kind")} = {kind} AND a.{_column(Account, "user")} = {user}
      ) AND b.{_column(Balance, "asset")} = {asset} AND b.{available} >= {amount}
    RETURNING b.{_column(Balance, "account")} AS account_id
), new_order AS (
    INSERT INTO {_table(Order)} ({order_columns})
    SELECT {", ".join(values.values())} FROM balance
    RETURNING {order_pk} AS id
), entry AS (
    INSERT INTO {_table(JournalEntry)} ({_column(JournalEntry, "reason")},
        {_column(JournalEntry, "reference")}, {_column(JournalEntry, "memo")},
        {_column(JournalEntry, "created_at")})
    SELECT {reason}, 'order:' || new_order.id, '', {created} FROM new_order
    RETURNING {entry_pk} AS id
), lines AS (
    INSERT INTO {_table(LedgerLine)} ({_column(LedgerLine, "entry")},
        {_column(LedgerLine, "account")}, {_column(LedgerLine, "asset")},
        {_column(LedgerLine, "bucket")}, {_column(LedgerLine, "amount")},
        {_column(LedgerLine, "created_at")})
    SELECT entry.id, balance.account_id, {asset}, line.bucket, line.amount, {created}
    FROM entry, balance,
        (VALUES (1, {available_bucket}, -{amount}), (2, {locked_bucket}, {amount}))
        AS line(n, bucket, amount)
    ORDER BY line.n
)
SELECT id FROM new_order
"""  # noqa: S608 - identifiers from model metadata, constants as literals, values as parameters
    # A new name when the text changes: a connection never runs an older statement.
    name = "order_entry_place_" + hashlib.sha256(body.encode()).hexdigest()[:12]
    return _Prepared(
        prepare=f"PREPARE {name} ({', '.join(types)}) AS {body}",
        execute=f"EXECUTE {name} ({', '.join(['%s'] * len(types))})",
        fields=fields,
        read=attrgetter(*(f.attname for f in fields)),
    )


# The DB-API connections that hold the PREPARE (it lasts as long as the session;
# PREPARE is not transactional, so a rollback does not undo it).
_prepared_on: weakref.WeakSet[Any] = weakref.WeakSet()
INVALID_SQL_STATEMENT_NAME = "26000"  # SQLSTATE: no such prepared statement


def _prepare_once(db: BaseDatabaseWrapper, prepared: _Prepared) -> None:
    """PREPARE the statement on ``db``'s connection unless it already holds it.

    Connects (after the health check Django's cursor would run) if need be.
    """
    db.close_if_health_check_failed()
    db.ensure_connection()
    raw = db.connection
    if raw not in _prepared_on:
        with db.cursor() as cursor:
            cursor.execute(prepared.prepare)
        _prepared_on.add(raw)


def lost_statement(exc: BaseException) -> bool:
    """Whether ``exc`` says the session no longer holds the statement (``DEALLOCATE``,
    ``DISCARD ALL``, or a reconnect after the PREPARE); the connection is forgotten, so
    the next ``statement`` call prepares it again."""
    if getattr(exc.__cause__, "pgcode", None) != INVALID_SQL_STATEMENT_NAME:
        return False
    _prepared_on.discard(connection.connection)
    return True


def statement(order: Order) -> tuple[str, list[Any]]:
    """The SQL and parameters placing ``order`` (unsaved; ``locked`` of ``locked_asset``).

    It returns one row (the new order's id) when placed, none when the
    available balance is short; it fails on a duplicate open client order id.
    The SQL EXECUTEs a statement this call has PREPAREd on this thread's
    connection: PostgreSQL parses and plans it once per connection, not per order.
    """
    return _statement(connections[DEFAULT_DB_ALIAS], order)


def _statement(db: BaseDatabaseWrapper, order: Order) -> tuple[str, list[Any]]:
    assert db.vendor == "postgresql" and order.pk is None
    prepared = _prepared()
    _prepare_once(db, prepared)
    order.updated_at = order.created_at  # what the statement writes (SAME_AS)
    return prepared.execute, _plain(prepared.read(order))


def column_values(order: Order, fields: list[Field]) -> list[Any]:
    """The order's values of ``fields`` as the statement sends them (``_plain``)."""
    return _plain(attrgetter(*(f.attname for f in fields))(order))


def _plain(values: Sequence[Any]) -> list[Any]:
    """Column values as psycopg2 is to send them.

    Without Django's ``get_db_prep_save``: on PostgreSQL that returns the same int,
    str, Decimal and aware datetime it is given, through ~5 calls per column (a
    third of the client's CPU here). Choices as their plain ``str`` values: psycopg2
    finds the adapter of a ``str`` subclass by walking its MRO, which took a third
    of the time it spent on the parameters.
    tests/exchange/orders/test_place_statement.py holds the two equal. Read with one
    ``attrgetter`` call, not a ``getattr`` per column.
    """
    return [v.value if isinstance(v, Enum) else v for v in values]


def mark_placed(order: Order, row: Sequence[Any] | None) -> bool:
    """Give ``order`` the id the statement returned; False if it returned none."""
    if row is None:
        return False
    order.pk = row[0]
    order._state.adding = False
    order._state.db = DEFAULT_DB_ALIAS
    return True


def place_in_one_statement(order: Order) -> bool:
    """Insert ``order`` and lock its funds (``statement``), all or nothing.

    Returns False, having changed nothing, when the available balance is short.
    Raises IntegrityError (nothing changed) on a duplicate open client order id.
    """
    try:
        row = _execute(order)
    except DatabaseError as exc:
        if not lost_statement(exc):
            raise
        row = _execute(order)  # prepared again on this connection
    return mark_placed(order, row)


def _execute(order: Order) -> Sequence[Any] | None:
    db = connections[DEFAULT_DB_ALIAS]  # this thread's; looked up once, not per use
    sql, params = _statement(db, order)
    # In a caller's transaction: under a savepoint. Logged or wrapped (DEBUG, query
    # counting, tracing): through Django's cursor, so they see it. Else on this
    # thread's own cursor, where the statement commits by itself (autocommit).
    if db.in_atomic_block or db.queries_logged or db.execute_wrappers:
        savepoint = transaction.atomic() if db.in_atomic_block else nullcontext()
        with savepoint, db.cursor() as cursor:
            cursor.execute(sql, params)
            row: Sequence[Any] | None = cursor.fetchone()
        return row
    with db.wrap_database_errors:
        cursor = _own_cursor(db.connection)
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row


class _OwnCursor(threading.local):
    """This thread's DB-API cursor, and the connection it belongs to."""

    cursor: Any = None


_own = _OwnCursor()


def _own_cursor(raw: Any) -> Any:
    """A psycopg2 cursor of ``raw``, kept from order to order.

    Django's cursor costs more client CPU than the statement's round trip: a new
    psycopg2 cursor and its wrapper per order, and half a dozen lookups of the
    thread's connection. Errors still reach the caller as Django's
    (``wrap_database_errors``).
    """
    cursor = _own.cursor
    if cursor is None or cursor.connection is not raw or cursor.closed:
        cursor = _own.cursor = raw.cursor()
    return cursor
