"""REST browser sign-in: a session cookie, CSRF enforced, sign-out ends it."""

from __future__ import annotations

from rest_framework.test import APIClient

from tests.api.rest.conftest import error

PASSWORD = "correct horse battery"  # noqa: S105 - a test password


def _csrf(client: APIClient) -> str:
    """The CSRF cookie a page of the site sets; the page sends it back as the header."""
    client.cookies["csrftoken"] = "a" * 32
    return "a" * 32


def test_session_sign_in_sets_a_cookie_that_authenticates(make_user):
    # given
    make_user(email="ann@example.com", password=PASSWORD)
    client = APIClient(enforce_csrf_checks=True)
    token = _csrf(client)
    # when
    signed_in = client.post(
        "/api/v1/auth/session",
        {"email": "ann@example.com", "password": PASSWORD},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    # then
    assert signed_in.status_code == 200, signed_in.json()
    assert signed_in.json()["user"]["email"] == "ann@example.com"
    assert client.cookies["sessionid"]["httponly"]
    assert client.get("/api/v1/me").json()["email"] == "ann@example.com"
    # a session write without the CSRF header is refused
    assert error(client.post("/api/v1/user-data-stream")) == (403, "PERMISSION_DENIED")
    rotated = client.cookies["csrftoken"].value  # Django rotates the token at sign-in
    assert rotated != token
    assert client.delete("/api/v1/auth/session", HTTP_X_CSRFTOKEN=rotated).status_code == 204
    assert error(client.get("/api/v1/me")) == (401, "NOT_AUTHENTICATED")


def test_session_sign_in_needs_csrf_and_the_right_password(make_user):
    make_user(email="bob@example.com", password=PASSWORD)
    client = APIClient(enforce_csrf_checks=True)
    credentials = {"email": "bob@example.com", "password": PASSWORD}
    assert error(client.post("/api/v1/auth/session", credentials, format="json")) == (
        403,
        "PERMISSION_DENIED",
    )
    token = _csrf(client)
    wrong = {"email": "bob@example.com", "password": "not the password"}
    assert error(
        client.post("/api/v1/auth/session", wrong, format="json", HTTP_X_CSRFTOKEN=token)
    ) == (401, "INVALID_CREDENTIALS")
    assert "sessionid" not in client.cookies
