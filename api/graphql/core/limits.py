"""Query depth and complexity limits, checked with the other validation rules.

Depth counts nested fields (introspection fields are not counted). Complexity
is the number of fields the query may resolve, aliases and introspection
fields included: each field costs 1 plus its
children, times the page size for list fields (their ``first``/``limit``
argument, its default, or ``ASSUMED_LIST_SIZE`` when the list has none; a
connection's ``edges`` count once, the connection's ``first`` sizes them). A
query over either limit is refused before anything runs.

A fragment is measured once per operation (a memo keyed by fragment name and
type), and measuring stops once the cost is over the limit, so a small query
spreading fragments exponentially costs a linear walk, not an exponential one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
)

# Parsing stops past this many tokens, before any validation rule runs: the standard
# rules (overlapping fields above all) are slow on huge documents, whatever they cost.
MAX_QUERY_TOKENS = 5_000
MAX_QUERY_DEPTH = 8
MAX_QUERY_COMPLEXITY = 25_000
ASSUMED_LIST_SIZE = 10
SIZE_ARGUMENTS = ("first", "limit")
# A connection's edges are as many as its `first`, already counted on the connection.
PAGED_LISTS = frozenset({"edges"})

QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
QUERY_TOO_LARGE = "QUERY_TOO_LARGE"


class Measure:
    """Walks an operation adding up its depth and cost."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        max_cost: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.max_cost = max_cost
        self.memo: dict[tuple[str, str | None], tuple[int, int]] = {}
        self.fragment_walks = 0

    def selections(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None, seen: frozenset[str]
    ) -> tuple[int, int]:
        """(depth, cost) of a selection set on ``parent``."""
        depth = cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                d, c = self.field(selection, parent, seen)
            elif isinstance(selection, InlineFragmentNode):
                on = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                d, c = self.selections(selection.selection_set, on, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue  # reported by the standard rules
                d, c = self.fragment(name, fragment, seen)
            else:
                continue
            depth, cost = max(depth, d), cost + c
            if cost > self.max_cost:
                break  # refused anyway; the rest cannot lower it
        return depth, cost

    def fragment(
        self, name: str, fragment: FragmentDefinitionNode, seen: frozenset[str]
    ) -> tuple[int, int]:
        """(depth, cost) of a named fragment, walked once per operation."""
        on = self.schema.get_type(fragment.type_condition.name.value)
        key = (name, on.name if on else None)
        if key not in self.memo:
            self.fragment_walks += 1
            self.memo[key] = self.selections(fragment.selection_set, on, seen | {name})
        return self.memo[key]

    def field(
        self, node: FieldNode, parent: GraphQLNamedType | None, seen: frozenset[str]
    ) -> tuple[int, int]:
        if node.name.value.startswith("__"):
            # Introspection (``__typename``, ``__schema``...) costs like any field, so
            # 100,000 ``__typename`` aliases are refused; its depth is not counted, or
            # the standard introspection query (``ofType`` nested seven levels) would be.
            _, cost = (
                self.selections(node.selection_set, None, seen) if node.selection_set else (0, 0)
            )
            return 0, 1 + cost
        field_def = (
            parent.fields.get(node.name.value) if isinstance(parent, GraphQLObjectType) else None
        )
        child_type = get_named_type(field_def.type) if field_def else None
        depth, cost = (
            self.selections(node.selection_set, child_type, seen) if node.selection_set else (0, 0)
        )
        return depth + 1, (1 + cost) * self.size(node, field_def)

    def size(self, node: FieldNode, field_def: Any) -> int:
        if field_def is None:
            return 1
        for name in SIZE_ARGUMENTS:
            if name not in field_def.args:
                continue
            value: Any = field_def.args[name].default_value
            for argument in node.arguments or ():
                if argument.name.value != name:
                    continue
                if isinstance(argument.value, IntValueNode):
                    value = argument.value.value
                elif isinstance(argument.value, VariableNode):
                    value = self.variables.get(argument.value.name.value, value)
            try:
                return max(1, int(value))
            except (TypeError, ValueError):
                return ASSUMED_LIST_SIZE
        is_list = isinstance(get_nullable_type(field_def.type), GraphQLList)
        return ASSUMED_LIST_SIZE if is_list and node.name.value not in PAGED_LISTS else 1


def query_limits(
    variables: Mapping[str, Any] | None,
    *,
    max_depth: int = MAX_QUERY_DEPTH,
    max_complexity: int = MAX_QUERY_COMPLEXITY,
) -> type[ValidationRule]:
    """A validation rule refusing operations over the limits, given the request's variables."""

    class QueryLimits(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            schema = self.context.schema
            root = (
                schema.mutation_type
                if node.operation == OperationType.MUTATION
                else schema.subscription_type
                if node.operation == OperationType.SUBSCRIPTION
                else schema.query_type
            )
            fragments = {
                d.name.value: d
                for d in self.context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            measure = Measure(schema, fragments, variables or {}, max_complexity)
            depth, cost = measure.selections(node.selection_set, root, frozenset())
            if depth > max_depth:
                self.report_error(
                    GraphQLError(
                        f"Query depth {depth} exceeds the limit of {max_depth}.",
                        node,
                        extensions={"code": QUERY_TOO_DEEP},
                    )
                )
            if cost > max_complexity:
                self.report_error(
                    GraphQLError(
                        f"Query complexity {cost} exceeds the limit of {max_complexity}.",
                        node,
                        extensions={"code": QUERY_TOO_COMPLEX},
                    )
                )

    return QueryLimits
