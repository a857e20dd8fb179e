"""GraphQL test support: post a query as a token, session or signed API-key caller."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from api.rest.accounts.tokens import issue_token
from exchange.accounts.actions import do_create_api_key
from exchange.accounts.models import User
from exchange.accounts.requests import ApiKeyRequest

URL = "/graphql"


class Caller:
    """Who sends the query: nobody, a token, or a signed API key."""

    def __init__(
        self, client: Client, *, token: str | None = None, key: tuple[str, str] | None = None
    ):
        self.client, self.token, self.key = client, token, key

    def post(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        body = json.dumps({"query": query, "variables": variables or {}})
        headers: dict[str, str] = {}
        url = URL
        if self.token:
            headers["HTTP_AUTHORIZATION"] = f"Token {self.token}"
        if self.key:
            api_key, secret = self.key
            params = urlencode({"timestamp": int(time.time() * 1000)})
            signature = hmac.new(
                secret.encode(), (params + body).encode(), hashlib.sha256
            ).hexdigest()
            url = f"{URL}?{params}&signature={signature}"
            headers["HTTP_X_MBX_APIKEY"] = api_key
        return self.client.post(url, data=body, content_type="application/json", **headers)

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON answer of a request that is expected to reach execution (HTTP 200)."""
        response = self.post(query, variables)
        assert response.status_code == 200, response.content
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture
def anonymous() -> Caller:
    return Caller(Client())


@pytest.fixture
def as_user() -> Callable[[User], Caller]:
    def make(user: User) -> Caller:
        return Caller(Client(), token=issue_token(user=user))

    return make


@pytest.fixture
def as_key() -> Callable[..., Caller]:
    def make(user: User, permissions: list[str], otp_code: str = "") -> Caller:
        created = do_create_api_key(
            user=user,
            request=ApiKeyRequest.parse(label="bot", permissions=permissions, otp_code=otp_code),
        )
        assert created.secret is not None
        return Caller(Client(), key=(created.api_key.key, created.secret))

    return make


def error_codes(answer: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in answer.get("errors", [])]
