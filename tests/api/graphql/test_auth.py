"""Authentication of /graphql: DRF's classes run first; failures answer as GraphQL errors."""

from __future__ import annotations

import json

from django.test import Client

from exchange.accounts.actions import do_create_api_key, do_revoke_api_key
from exchange.accounts.requests import ApiKeyRequest
from tests.api.graphql.conftest import URL, Caller

ME = json.dumps({"query": "{ me { email } }"})


def test_bad_token_is_401_with_a_graphql_error_body(db):
    response = Client().post(
        URL, ME, content_type="application/json", HTTP_AUTHORIZATION="Token nope"
    )
    assert response.status_code == 401
    assert response.json() == {
        "errors": [{"message": "Invalid token.", "extensions": {"code": "AUTHENTICATION_FAILED"}}]
    }


def test_wrong_signature_is_401_with_its_code(make_user):
    created = do_create_api_key(
        user=make_user(), request=ApiKeyRequest.parse(label="bot", permissions=["read"])
    )
    response = Caller(Client(), key=(created.api_key.key, "not-the-secret")).post(
        "{ me { email } }"
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": "SIGNATURE_INVALID"}


def test_revoked_key_is_refused(make_user):
    user = make_user()
    created = do_create_api_key(
        user=user, request=ApiKeyRequest.parse(label="bot", permissions=["read"])
    )
    do_revoke_api_key(user=user, api_key_id=created.api_key.pk)
    assert created.secret is not None
    response = Caller(Client(), key=(created.api_key.key, created.secret)).post("{ me { email } }")
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": "API_KEY_UNKNOWN"}


def test_signature_covers_the_body(make_user):
    # given a request signed for one query, then sent with another body
    created = do_create_api_key(
        user=make_user(), request=ApiKeyRequest.parse(label="bot", permissions=["read"])
    )
    assert created.secret is not None
    caller = Caller(Client(), key=(created.api_key.key, created.secret))
    response = caller.client.post(
        URL + "?timestamp=1&signature=00",
        ME,
        content_type="application/json",
        HTTP_X_MBX_APIKEY=created.api_key.key,
    )
    # then it is refused
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": "SIGNATURE_INVALID"}


def test_graphiql_is_served_to_browsers(db):
    response = Client().get(URL, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"graphiql" in response.content.lower()


def test_get_queries_work_and_get_mutations_are_refused(db):
    client = Client()
    ok = client.get(URL, {"query": "{ markets { symbol } }"}, HTTP_ACCEPT="application/json")
    assert ok.json() == {"data": {"markets": []}}
    refused = client.get(
        URL,
        {"query": 'mutation { cancelAllOrders(symbol: "X") { errors { code } } }'},
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 405


def test_session_posts_need_the_csrf_token_graphiql_sends(make_user):
    # given a browser session whose client enforces CSRF, as a real browser's does
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("erin@example.com"))
    page = client.get(URL, HTTP_ACCEPT="text/html")
    token = page.cookies["csrftoken"].value
    # when posting without and with the CSRF header
    without = client.post(URL, ME, content_type="application/json")
    with_token = client.post(URL, ME, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    # then only the second is accepted
    assert without.status_code == 403
    assert without.json()["errors"][0]["extensions"] == {"code": "PERMISSION_DENIED"}
    assert with_token.json() == {"data": {"me": {"email": "erin@example.com"}}}
