"""The committed schema.graphql is the schema the code builds."""

from __future__ import annotations

from pathlib import Path

from graphql import print_schema

from api.graphql.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema.graphql"


def test_committed_schema_matches_the_code():
    # given the schema built from the code
    generated = print_schema(schema.graphql_schema)
    # when compared with the committed file
    committed = SCHEMA_FILE.read_text()
    # then they are identical
    assert committed == generated, (
        "schema.graphql is stale: run `python manage.py graphql_schema --out schema.graphql`"
    )
