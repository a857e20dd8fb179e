"""The OpenAPI schema generates without warnings, validates, and is served."""

from __future__ import annotations

import pytest
from django.core.management import call_command


def test_schema_generates_cleanly(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "/api/v1/withdrawals" in text
    assert "X-MBX-APIKEY" in text


@pytest.mark.django_db
def test_schema_and_docs_are_served(api_client):
    assert api_client.get("/api/schema/").status_code == 200
    assert api_client.get("/api/docs/").status_code == 200
