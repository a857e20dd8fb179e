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
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import connection, transaction
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


def _order_fields() -> list[Field]:
    return [f for f in Order._meta.concrete_fields if not f.primary_key]


@cache
def _sql() -> str:
    """The statement, built once from the models' metadata (no input in it)."""
    fields = _order_fields()
    order_columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    order_values = ", ".join(f"%s::{f.cast_db_type(connection)}" for f in fields)
    available, locked = _column(Balance, "available"), _column(Balance, "locked")
    order_pk = connection.ops.quote_name(str(Order._meta.pk.column))  # type: ignore[union-attr]
    entry_pk = connection.ops.quote_name(str(JournalEntry._meta.pk.column))  # type: ignore[union-attr]
    return f"""
WITH balance AS (
    UPDATE {_table(Balance)} AS b
    SET {available} = b.{available} - %s, {locked} = b.{locked} + %s
    FROM {_table(Account)} AS a
    WHERE a.{_column(Account, "kind")} = %s AND a.{_column(Account, "user")} = %s
      AND b.{_column(Balance, "account")} = a.{_column(Account, "id")}
      AND b.{_column(Balance, "asset")} = %s AND b.{available} >= %s
    RETURNING b.{_column(Balance, "account")} AS account_id
), new_order AS (
    INSERT INTO {_table(Order)} ({order_columns})
    SELECT {order_values} FROM balance
    RETURNING {order_pk} AS id
), entry AS (
    INSERT INTO {_table(JournalEntry)} ({_column(JournalEntry, "reason")},
        {_column(JournalEntry, "reference")}, {_column(JournalEntry, "memo")},
        {_column(JournalEntry, "created_at")})
    SELECT %s, 'order:' || new_order.id, '', %s::timestamptz FROM new_order
    RETURNING {entry_pk} AS id
), lines AS (
    INSERT INTO {_table(LedgerLine)} ({_column(LedgerLine, "entry")},
        {_column(LedgerLine, "account")}, {_column(LedgerLine, "asset")},
        {_column(LedgerLine, "bucket")}, {_column(LedgerLine, "amount")})
    SELECT entry.id, balance.account_id, %s, line.bucket, line.amount
    FROM entry, balance,
        (VALUES (1, %s::varchar, %s::numeric), (2, %s::varchar, %s::numeric))
        AS line(n, bucket, amount)
    ORDER BY line.n
)
SELECT id FROM new_order
"""  # noqa: S608 - identifiers from model metadata, values as parameters


def statement(order: Order) -> tuple[str, list[Any]]:
    """The SQL and parameters placing ``order`` (unsaved; ``locked`` of ``locked_asset``).

    It returns one row (the new order's id) when placed, none when the
    available balance is short; it fails on a duplicate open client order id.
    """
    assert connection.vendor == "postgresql" and order.pk is None
    amount: Decimal = order.locked
    fields = _order_fields()
    values = [f.get_db_prep_save(f.pre_save(order, add=True), connection) for f in fields]
    params = [
        amount,
        amount,
        AccountKind.USER.value,
        order.user_id,
        order.locked_asset_id,
        amount,
        *values,
        JournalReason.ORDER_LOCK.value,
        order.created_at,
        order.locked_asset_id,
        Bucket.AVAILABLE.value,
        -amount,
        Bucket.LOCKED.value,
        amount,
    ]
    return _sql(), params


def mark_placed(order: Order, row: Sequence[Any] | None) -> bool:
    """Give ``order`` the id the statement returned; False if it returned none."""
    if row is None:
        return False
    order.pk = row[0]
    order._state.adding = False
    order._state.db = connection.alias
    return True


def place_in_one_statement(order: Order) -> bool:
    """Insert ``order`` and lock its funds (``statement``), all or nothing.

    Returns False, having changed nothing, when the available balance is short.
    Raises IntegrityError (nothing changed) on a duplicate open client order id.
    """
    sql, params = statement(order)
    # Autocommit: the statement commits by itself. In a caller's transaction: a savepoint.
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with savepoint, connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return mark_placed(order, row)
