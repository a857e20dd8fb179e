"""PostgreSQL's one-statement order entry writes exactly what the general path writes."""

from __future__ import annotations

import dataclasses

import psycopg2
import pytest
from django.db import connection

from exchange.core.errors import DomainError
from exchange.orders import place_statement
from exchange.orders.actions import (
    _hold_for,
    _order_row,
    do_place_order,
    do_place_orders,
)
from exchange.orders.engine_commands import place_command
from exchange.orders.models import Order
from exchange.orders.requests import OrderRequest
from exchange.wallets.models import Balance, JournalEntry, LedgerLine

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"
)

ORDERS = [
    {"side": "BUY", "type": "LIMIT", "price": "60000", "quantity": "0.01"},
    {
        "side": "SELL",
        "type": "LIMIT",
        "price": "61000.5",
        "quantity": "0.25",
        "time_in_force": "IOC",
        "self_trade_prevention": "EXPIRE_MAKER",
    },
    {"side": "BUY", "type": "LIMIT_MAKER", "price": "59000", "quantity": "0.001"},
    {"side": "BUY", "type": "MARKET", "quote_order_qty": "123.45"},
    {"side": "SELL", "type": "STOP_LOSS", "stop_price": "50000", "quantity": "0.1"},
    {
        "side": "BUY",
        "type": "TAKE_PROFIT_LIMIT",
        "price": "58000",
        "stop_price": "58500",
        "quantity": "0.002",
        "time_in_force": "FOK",
    },
]
TIMES = {"id", "user", "created_at", "updated_at"}


@pytest.fixture
def twins(make_user, assets, fund, btcusdt):
    """Two users funded alike: one places through the general path, one through the statement."""
    users = make_user(), make_user()
    for user in users:
        fund(user, assets["USDT"], "1000")
        fund(user, assets["BTC"], "1")
    return users


def order_row(order):
    return {
        f.name: getattr(order, f.attname)
        for f in Order._meta.concrete_fields
        if f.name not in TIMES
    }


def written(user, order):
    """Every row the order wrote, without ids that differ between two users."""
    stored = Order.objects.get(pk=order.pk)
    entry = JournalEntry.objects.get(reference=f"order:{order.pk}")
    lines = LedgerLine.objects.filter(entry=entry).order_by("pk")
    return {
        "order": order_row(stored),
        "returned": order_row(order),
        "timestamps set": stored.created_at is not None and stored.updated_at is not None,
        "entry": (entry.reason, entry.memo),
        "lines": [
            (line.account.user_id == user.pk, line.asset_id, line.bucket, line.amount)
            for line in lines
        ],
        "balances": sorted(
            Balance.objects.filter(account__user=user).values_list(
                "asset__code", "available", "locked"
            )
        ),
        "PLACE": dataclasses.replace(place_command(order), order_id=0, user_id=0),
    }


def everything():
    return (
        sorted(Order.objects.values_list("pk", "status", "locked_remaining")),
        sorted(JournalEntry.objects.values_list("pk", "reference")),
        sorted(LedgerLine.objects.values_list("pk", "amount")),
        sorted(Balance.objects.values_list("pk", "available", "locked")),
    )


@pytest.mark.parametrize("params", ORDERS, ids=[f"{o['side']}-{o['type']}" for o in ORDERS])
def test_both_paths_write_the_same_rows(twins, params):
    general_user, statement_user = twins
    check = {"symbol": "BTCUSDT", "client_order_id": "same-id", **params}

    # when the same order goes through each path (on PostgreSQL do_place_order is the statement)
    general = do_place_orders(user=general_user, requests=[OrderRequest.parse(**check)])[0]
    one_statement = do_place_order(user=statement_user, request=OrderRequest.parse(**check))

    # then the orders, journal entries, ledger lines, balances and PLACEs are alike
    assert written(statement_user, one_statement) == written(general_user, general)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"side": "BUY", "price": "60000", "quantity": "0.1"}, "INSUFFICIENT_BALANCE"),
        ({"side": "SELL", "price": "60000", "quantity": "1.5"}, "INSUFFICIENT_BALANCE"),
        ({"side": "BUY", "price": "60000", "quantity": "0.001"}, "DUPLICATE_CLIENT_ORDER_ID"),
    ],
)
def test_both_paths_refuse_alike_and_write_nothing(twins, params, code):
    for user in twins:  # each holds an open order with the client order id used below
        do_place_orders(
            user=user,
            requests=[
                OrderRequest.parse(
                    symbol="BTCUSDT",
                    type="LIMIT",
                    side="BUY",
                    price="10000",
                    quantity="0.001",
                    client_order_id="taken" if code == "DUPLICATE_CLIENT_ORDER_ID" else "other",
                )
            ],
        )
    check = {"symbol": "BTCUSDT", "type": "LIMIT", "client_order_id": "taken", **params}
    general_user, statement_user = twins
    before = everything()

    with pytest.raises(DomainError) as general:
        do_place_orders(user=general_user, requests=[OrderRequest.parse(**check)])
    with pytest.raises(DomainError) as one_statement:
        do_place_order(user=statement_user, request=OrderRequest.parse(**check))

    assert general.value.code == one_statement.value.code == code
    assert everything() == before


def test_column_values_are_what_django_would_send(twins):
    """The statement skips ``get_db_prep_save``: on PostgreSQL the same SQL text goes out."""
    user = twins[0]
    fields = place_statement._parameter_fields()
    placeholders = ", ".join(["%s"] * len(fields))
    for params in ORDERS:
        order = OrderRequest.parse(symbol="BTCUSDT", **params)
        row = _order_row(user, order, _hold_for(user, order))
        fast = place_statement.column_values(row, fields)
        django = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
        with connection.cursor() as cursor:
            assert cursor.mogrify(placeholders, fast) == cursor.mogrify(placeholders, django)


@pytest.mark.django_db(transaction=True)
def test_a_connection_that_lost_the_statement_prepares_it_again(make_user, assets, fund, btcusdt):
    # given a connection that placed an order, so it holds the prepared statement
    user = make_user()
    fund(user, assets["USDT"], "1000")
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.001"}
    do_place_order(user=user, request=OrderRequest.parse(**order, price="60000"))
    # when the session drops it (DEALLOCATE ALL, DISCARD ALL, a pooler) and another order comes
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    placed = do_place_order(user=user, request=OrderRequest.parse(**order, price="60001"))
    # then it is placed, once
    assert Order.objects.filter(user=user).count() == 2
    assert Order.objects.get(pk=placed.pk).price == placed.price


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_on_its_own_cursor_a_refusal_is_typed_and_writes_nothing(
    make_user, assets, fund, btcusdt
):
    # given a user with an open order, placed in autocommit (the thread's own cursor)
    user = make_user()
    fund(user, assets["USDT"], "1000")
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "price": "60000"}
    placed = do_place_order(
        user=user, request=OrderRequest.parse(**order, quantity="0.001", client_order_id="taken")
    )
    assert not connection.in_atomic_block and Order.objects.get(pk=placed.pk).price == placed.price
    before = everything()

    # when the same client order id comes again, then an order larger than the balance
    with pytest.raises(DomainError) as duplicate:
        do_place_order(
            user=user,
            request=OrderRequest.parse(**order, quantity="0.001", client_order_id="taken"),
        )
    with pytest.raises(DomainError) as short:
        do_place_order(user=user, request=OrderRequest.parse(**order, quantity="1"))

    # then each gets its code, nothing is written, and the connection still places orders
    assert (duplicate.value.code, short.value.code) == (
        "DUPLICATE_CLIENT_ORDER_ID",
        "INSUFFICIENT_BALANCE",
    )
    assert everything() == before
    do_place_order(user=user, request=OrderRequest.parse(**order, quantity="0.001"))
    assert Order.objects.filter(user=user).count() == 2


def test_a_column_entry_sends_no_value_for_is_written_as_its_constant_default(db):
    with connection.cursor() as cursor:
        assert place_statement._default(cursor, Order._meta.get_field("executed_qty")) == "0"
        assert place_statement._default(cursor, Order._meta.get_field("done_at")) == "NULL"
        # a default that varies (now) cannot be a constant: entry must send it
        with pytest.raises(TypeError, match="PARAMETER_FIELDS"):
            place_statement._default(cursor, Order._meta.get_field("created_at"))


@pytest.mark.django_db(transaction=True)
def test_after_django_closes_its_connection_the_own_cursor_follows_the_new_one(
    make_user, assets, fund, btcusdt
):
    # given an order placed in autocommit on the thread's own cursor
    user = make_user()
    fund(user, assets["USDT"], "1000")
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.001"}
    do_place_order(user=user, request=OrderRequest.parse(**order, price="60000"))
    # when Django closes the connection (CONN_MAX_AGE 0 does at every request's end)
    connection.close()
    # then the next order goes through the new connection, once, and is committed
    placed = do_place_order(user=user, request=OrderRequest.parse(**order, price="60001"))
    other = psycopg2.connect(**connection.get_connection_params())  # sees committed rows only
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT price FROM orders_order WHERE id = %s", [placed.pk])
            committed = cursor.fetchall()
    finally:
        other.close()
    assert committed == [(placed.price,)]
    assert Order.objects.filter(user=user).count() == 2
