"""REST test helpers: token clients, signed API-key requests, and a row snapshot."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from api.rest.accounts.tokens import issue_token
from exchange.accounts.actions import do_create_api_key
from exchange.accounts.models import User
from exchange.accounts.requests import ApiKeyRequest
from exchange.orders.models import Order, Trade
from exchange.wallets.models import Balance, JournalEntry, LedgerLine, Withdrawal

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def client_for(db) -> Callable[[User], APIClient]:
    """An API client logged in as the user with a DRF token."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user=user)}")
        return client

    return make


class SignedClient:
    """Binance-style signed requests with one API key (HMAC-SHA256 over query + body)."""

    def __init__(self, key: str, secret: str) -> None:
        self.client = APIClient()
        self.key, self.secret = key, secret

    def _signed(self, params: dict[str, object]) -> str:
        payload = urlencode({**params, "timestamp": int(time.time() * 1000)})
        return (
            payload
            + "&signature="
            + hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        )

    def get(self, path: str, params: dict[str, object] | None = None):
        query = self._signed(params or {})
        return self.client.get(f"{path}?{query}", HTTP_X_MBX_APIKEY=self.key)

    def post(self, path: str, params: dict[str, object] | None = None):
        body = self._signed(params or {})
        return self.client.post(path, data=body, content_type=FORM, HTTP_X_MBX_APIKEY=self.key)


@pytest.fixture
def signed_client(db) -> Callable[..., SignedClient]:
    """A signed client for a new HMAC key of the user with the given permissions."""

    def make(user: User, *permissions: str, otp_code: str = "") -> SignedClient:
        created = do_create_api_key(
            user=user,
            request=ApiKeyRequest.parse(
                label="bot", permissions=list(permissions), otp_code=otp_code
            ),
        )
        assert created.secret is not None
        return SignedClient(created.api_key.key, created.secret)

    return make


def rows_snapshot() -> tuple[object, ...]:
    """Everything a rejected request must leave unchanged."""
    return (
        sorted(Order.objects.values_list("pk", "status", "cancel_requested_at")),
        Trade.objects.count(),
        JournalEntry.objects.count(),
        LedgerLine.objects.count(),
        sorted(Withdrawal.objects.values_list("pk", "status")),
        sorted(Balance.objects.values_list("pk", "available", "locked")),
    )


def error(response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}, body
    return response.status_code, body["code"]
