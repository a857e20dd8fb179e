"""The OpenAPI schema generates without warnings, validates, documents errors, and is served."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command

ERROR_FIELDS = ["code", "detail", "fields"]


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    target = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    return yaml.safe_load(target.read_text())


def test_schema_generates_cleanly(schema):
    assert "/api/v1/withdrawals" in schema["paths"]
    assert schema["components"]["securitySchemes"]["signedApiKey"]["name"] == "X-MBX-APIKEY"


def test_every_operation_documents_its_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            limited = responses["429"]
            assert "Retry-After" in limited["headers"], (method, path)
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    body = response["content"]["application/json"]["schema"]
                    assert body["required"] == ERROR_FIELDS, (method, path, status)
                    assert body["properties"]["code"]["enum"], (method, path, status)


def test_domain_codes_land_on_their_status(schema):
    place = schema["paths"]["/api/v1/orders"]["post"]["responses"]
    assert (
        "INSUFFICIENT_BALANCE"
        in place["400"]["content"]["application/json"]["schema"]["properties"]["code"]["enum"]
    )
    assert place["404"]["content"]["application/json"]["schema"]["properties"]["code"]["enum"] == [
        "UNKNOWN_SYMBOL"
    ]
    assert "PERMISSION_DENIED" in str(place["403"])
    cancel = schema["paths"]["/api/v1/orders/{order_id}/cancel"]["post"]["responses"]
    assert cancel["409"]["content"]["application/json"]["schema"]["properties"]["code"]["enum"] == [
        "ORDER_NOT_OPEN"
    ]


@pytest.mark.django_db
def test_schema_and_viewers_are_served(api_client):
    for path in ("/api/schema/", "/api/docs/", "/api/redoc/"):
        assert api_client.get(path).status_code == 200, path


@pytest.mark.django_db
def test_explorers_load_nothing_from_another_host(api_client):
    """Swagger UI, ReDoc and GraphiQL name only this site's static files (issue 20)."""
    pages = {
        "/api/docs/": b"swagger-ui",
        "/api/redoc/": b"redoc",
        "/graphql": b"graphiql",
    }
    for path, asset in pages.items():
        html = api_client.get(path, HTTP_ACCEPT="text/html").content
        assert re.findall(rb"(?:src|href)=[\"'](?:https?:)?//", html) == [], path
        assert re.search(rb"(?:src|href)=[\"']/static/[^\"']*" + asset, html), path


@pytest.mark.django_db
def test_unknown_api_path_is_a_json_404(api_client):
    response = api_client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.json() == {
        "code": "NOT_FOUND",
        "detail": "No such endpoint or resource.",
        "fields": {},
    }


def test_every_list_with_a_limit_documents_invalid_limit(schema):
    limited = [
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if any(p["name"] == "limit" for p in operation.get("parameters", []))
    ]
    assert ("get", "/api/v1/markets/{symbol}/depth") in limited
    assert ("get", "/api/v1/orders") in limited
    for method, path in limited:
        bad = schema["paths"][path][method]["responses"]["400"]
        assert (
            "INVALID_LIMIT"
            in bad["content"]["application/json"]["schema"]["properties"]["code"]["enum"]
        ), (method, path)
