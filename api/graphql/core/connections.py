"""Relay-style cursor connections over the selectors' keyset pages."""

from __future__ import annotations

from typing import Any

import graphene

from exchange.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, encode_cursor


class PageInfo(graphene.ObjectType):
    has_next_page = graphene.Boolean(required=True)
    end_cursor = graphene.String(description="Pass as `after` for the next page.")


def connection_type(node: type[graphene.ObjectType]) -> type[graphene.ObjectType]:
    """``<Node>Connection { edges { cursor node } pageInfo }`` for a node type."""
    name = node._meta.name
    edge = type(
        f"{name}Edge",
        (graphene.ObjectType,),
        {"cursor": graphene.String(required=True), "node": graphene.Field(node, required=True)},
    )
    return type(
        f"{name}Connection",
        (graphene.ObjectType,),
        {
            "edges": graphene.List(graphene.NonNull(edge), required=True),
            "page_info": graphene.Field(PageInfo, required=True),
        },
    )


def page_arguments() -> dict[str, Any]:
    return {
        "first": graphene.Int(
            required=True, default_value=DEFAULT_LIMIT, description=f"1..{MAX_LIMIT}"
        ),
        "after": graphene.String(description="`endCursor` of the previous page"),
    }


def connection_from_page(page: Page[Any]) -> dict[str, Any]:
    edges = [{"cursor": encode_cursor(item.pk), "node": item} for item in page.items]
    return {
        "edges": edges,
        "page_info": {
            "has_next_page": page.next_cursor is not None,
            "end_cursor": edges[-1]["cursor"] if edges else None,
        },
    }
