"""REST rate limits per IP, user, API key and login: 429 RATE_LIMITED with Retry-After."""

from __future__ import annotations

import pytest

from tests.api.conftest import RATE_WINDOW_SECONDS
from tests.api.rest.conftest import error


@pytest.fixture
def limits(settings, redis_client, fresh_rate_window):
    """Low limits for this test only; the suite's defaults are generous."""

    def set_limits(**low: int) -> None:
        settings.RATE_LIMITS = {
            "window_seconds": RATE_WINDOW_SECONDS,
            "ip": 10**6,
            "user": 10**6,
            "api_key": 10**6,
            "login": 10**6,
            **low,
        }

    return set_limits


def assert_limited(response) -> None:
    assert error(response) == (429, "RATE_LIMITED")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_per_ip(limits, api_client, btcusdt):
    limits(ip=3)
    for _ in range(3):
        assert api_client.get("/api/v1/markets").status_code == 200
    assert_limited(api_client.get("/api/v1/markets"))
    # another address has its own budget
    assert api_client.get("/api/v1/markets", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_per_ip_counts_requests_with_bad_credentials(limits, api_client, db):
    limits(ip=2)
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    for _ in range(2):
        assert error(api_client.get("/api/v1/me")) == (401, "AUTHENTICATION_FAILED")
    assert_limited(api_client.get("/api/v1/me"))
    assert_limited(api_client.get("/api/v1/balances", HTTP_X_MBX_APIKEY="unknown-key"))


def test_per_user_across_clients(limits, make_user, client_for):
    limits(user=2)
    alice = make_user()
    assert client_for(alice).get("/api/v1/me").status_code == 200
    assert client_for(alice).get("/api/v1/me", REMOTE_ADDR="10.0.0.2").status_code == 200
    assert_limited(client_for(alice).get("/api/v1/me", REMOTE_ADDR="10.0.0.3"))
    assert client_for(make_user()).get("/api/v1/me").status_code == 200


def test_per_api_key(limits, make_user, signed_client):
    limits(api_key=2)
    alice = make_user()
    first, second = signed_client(alice, "read"), signed_client(alice, "read")
    assert first.get("/api/v1/balances").status_code == 200
    assert first.get("/api/v1/balances").status_code == 200
    assert_limited(first.get("/api/v1/balances"))
    assert second.get("/api/v1/balances").status_code == 200


def test_login_attempts_per_ip(limits, api_client, make_user):
    limits(login=2)
    make_user(email="ann@example.com")
    wrong = {"email": "ann@example.com", "password": "not the password"}
    for _ in range(2):
        assert error(api_client.post("/api/v1/auth/login", wrong, format="json"))[1] == (
            "INVALID_CREDENTIALS"
        )
    assert_limited(api_client.post("/api/v1/auth/login", wrong, format="json"))
