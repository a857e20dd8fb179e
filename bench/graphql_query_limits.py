"""How long the GraphQL depth/complexity rule takes on fragments that spread the next twice.

    DJANGO_SETTINGS_MODULE=exchange.settings .venv/bin/python bench/graphql_query_limits.py

``n`` fragments, each spreading the next twice, are 2**n paths in a few hundred
bytes. The rule measures each fragment once per operation, so this stays linear.
"""

from __future__ import annotations

import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
django.setup()

from graphql import parse, validate  # noqa: E402

from api.graphql.core.limits import query_limits  # noqa: E402
from api.graphql.schema import schema  # noqa: E402


def doubled_fragments(count: int, leaf: str) -> str:
    spreads = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(count - 1)]
    return "\n".join(["{ ...F0 }", *spreads, f"fragment F{count - 1} on Query {{ {leaf} }}"])


def main() -> None:
    for count in (16, 20, 25, 40):
        for leaf in ("__typename", "markets { symbol }"):
            query = doubled_fragments(count, leaf)
            document = parse(query)
            started = time.perf_counter()
            errors = validate(schema.graphql_schema, document, (query_limits({}),))
            elapsed = time.perf_counter() - started
            codes = [e.extensions.get("code") for e in errors if e.extensions]
            print(  # noqa: T201 - a benchmark's output
                f"{count:3} fragments, {len(query.encode()):5} bytes, leaf {leaf!r:22}"
                f" {elapsed * 1000:8.2f} ms  {codes or 'accepted'}"
            )


if __name__ == "__main__":
    main()
