"""The caller's orders and trades: fields of `me` (see accounts.types.Me)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import graphene

from api.graphql.core.connections import connection_from_page, page_arguments
from api.graphql.core.enums import enum_value, enum_values
from api.graphql.orders.types import (
    OrderConnection,
    OrderSide,
    OrderStatus,
    Trade,
    expect_fills,
    expect_orders,
)
from exchange.accounts.models import User
from exchange.markets.selectors import get_market
from exchange.orders.selectors import MAX_TRADES, Fill, fill_list_for_user, order_list


def my_orders_field() -> graphene.Field:
    return graphene.Field(
        OrderConnection,
        required=True,
        market=graphene.String(description="Symbol"),
        status=graphene.List(graphene.NonNull(OrderStatus)),
        open=graphene.Boolean(
            default_value=False, description="Only NEW, PENDING_TRIGGER, PARTIALLY_FILLED"
        ),
        side=OrderSide(),
        start=graphene.DateTime(description="Created at or after"),
        end=graphene.DateTime(description="Created at or before"),
        **page_arguments(),
        description="Newest first.",
    )


def resolve_my_orders(
    root: User,
    info: graphene.ResolveInfo,
    open: bool,  # noqa: A002 - the argument's name
    first: int,
    market: str | None = None,
    status: list[object] | None = None,
    side: object = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    after: str | None = None,
) -> dict[str, Any]:
    page = order_list(
        user=root,
        market=get_market(market) if market else None,
        statuses=enum_values(status),
        open_only=open,
        side=enum_value(side),
        start=start,
        end=end,
        cursor=after,
        limit=first,
    )
    expect_orders(info, page.items)
    return connection_from_page(page)


def my_trades_field() -> graphene.List:
    return graphene.List(
        graphene.NonNull(Trade),
        required=True,
        market=graphene.String(description="Symbol"),
        from_id=graphene.BigInt(description="From this per-market trade id on"),
        start=graphene.DateTime(),
        end=graphene.DateTime(),
        limit=graphene.Int(required=True, default_value=500, description=f"1..{MAX_TRADES}"),
        description="Oldest first; without fromId the newest `limit` trades. "
        "A trade with yourself appears once per side.",
    )


def resolve_my_trades(
    root: User,
    info: graphene.ResolveInfo,
    limit: int,
    market: str | None = None,
    from_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[Fill]:
    fills = fill_list_for_user(
        user=root,
        market=get_market(market) if market else None,
        from_id=from_id,
        start=start,
        end=end,
        limit=limit,
    )
    return expect_fills(info, fills)
