"""Query depth and complexity limits: over-limit queries are refused before they run."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql import parse, specified_rules, validate

from api.graphql.core.limits import MAX_QUERY_COMPLEXITY, MAX_QUERY_DEPTH, Measure, query_limits
from api.graphql.schema import schema
from tests.api.graphql.conftest import error_codes

# Depth 7: placeOrder > order > trades > market > depth > bids > price, via a fragment.
DEPTH_7 = """
fragment Deep on Trade { market { depth { bids { price } } } }
mutation { placeOrder(symbol: "X", side: BUY, type: LIMIT) { order { trades { ...Deep } } } }
"""
# Depth 9: me > orders > edges > node > trades > market > depth > bids > price.
TOO_DEEP = """
{ me { orders(first: 1) { edges { node { trades {
  market { depth(limit: 1) { bids { price } } } } } } } } }
"""
WIDE_KLINES = """
query ($n: Int!) { markets { klines(interval: "1m", limit: $n) { open high low close volume } } }
"""


def test_limits_are_what_the_docs_say():
    assert (MAX_QUERY_DEPTH, MAX_QUERY_COMPLEXITY) == (8, 25_000)


def test_depth_counts_through_fragments():
    document = parse(DEPTH_7)
    rules = (*specified_rules, query_limits({}, max_depth=6, max_complexity=10**9))
    errors = validate(schema.graphql_schema, document, rules)
    assert [(e.message, e.extensions) for e in errors] == [
        ("Query depth 7 exceeds the limit of 6.", {"code": "QUERY_TOO_DEEP"})
    ]
    assert validate(schema.graphql_schema, document, (*specified_rules, query_limits({}))) == []


def test_too_deep_query_is_refused_before_anything_runs(as_user, make_user, btcusdt):
    client = as_user(make_user())
    with CaptureQueriesContext(connection) as queries:
        response = client.post(TOO_DEEP)
    assert response.status_code == 400
    body = response.json()
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        ("Query depth 9 exceeds the limit of 8.", "QUERY_TOO_DEEP")
    ]
    assert "data" not in body
    assert not any("orders_order" in q["sql"] for q in queries.captured_queries)


def test_too_complex_query_is_refused(anonymous, btcusdt):
    # markets is assumed 10 long: 10 x (1 + 1000 x (1 + 5)) = 60,010 > 25,000
    response = anonymous.post(WIDE_KLINES, {"n": 1000})
    assert response.status_code == 400
    body = response.json()
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["message"] == "Query complexity 60010 exceeds the limit of 25000."


def test_the_same_query_with_a_small_page_runs(anonymous, btcusdt):
    assert anonymous(WIDE_KLINES, {"n": 10}) == {"data": {"markets": [{"klines": []}]}}


def test_introspection_is_not_limited(anonymous, db):
    from graphql import get_introspection_query

    answer = anonymous(get_introspection_query())
    assert "errors" not in answer
    assert answer["data"]["__schema"]["queryType"]["name"] == "Query"


def doubled_fragments(count: int, leaf: str) -> str:
    """``count`` fragments, each spreading the next twice: 2**count paths in a few hundred bytes."""
    spreads = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(count - 1)]
    return "\n".join(["{ ...F0 }", *spreads, f"fragment F{count - 1} on Query {{ {leaf} }}"])


def measure(query: str) -> tuple[Measure, tuple[int, int]]:
    document = parse(query)
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    operation = document.definitions[0]
    walker = Measure(schema.graphql_schema, fragments, {}, MAX_QUERY_COMPLEXITY)
    return walker, walker.selections(
        operation.selection_set, schema.graphql_schema.query_type, frozenset()
    )


def test_doubled_fragments_of_typename_are_walked_once_each_and_refused():
    # __typename costs 1 like any field: 2**24 paths to it are far over the limit.
    walker, (depth, cost) = measure(doubled_fragments(25, "__typename"))
    assert (walker.fragment_walks, depth) == (25, 0)
    assert cost > MAX_QUERY_COMPLEXITY
    errors = validate(
        schema.graphql_schema, parse(doubled_fragments(25, "__typename")), (query_limits({}),)
    )
    assert [e.extensions for e in errors] == [{"code": "QUERY_TOO_COMPLEX"}]


def test_doubled_fragments_over_the_limit_are_refused_after_one_walk_each():
    query = doubled_fragments(25, "markets { symbol }")
    walker, (_, cost) = measure(query)
    assert walker.fragment_walks == 25
    assert cost > MAX_QUERY_COMPLEXITY
    errors = validate(schema.graphql_schema, parse(query), (query_limits({}),))
    assert [e.extensions for e in errors] == [{"code": "QUERY_TOO_COMPLEX"}]
