"""Rate limits of /graphql per IP, user and API key, on the shared Redis limiter.

A refused request gets 429 with ``Retry-After`` and the GraphQL error body
``{"errors": [{"extensions": {"code": "RATE_LIMITED"}}]}``. Limits come from
``settings.GRAPHQL_RATE_LIMITS``, read per request.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api.ratelimit import consume
from api.rest.client_ip import client_ip
from exchange.accounts.models import ApiKey, User


class GraphQLThrottle(BaseThrottle):
    """Count one request in ``graphql:<scope>:<bucket>``; no bucket means not limited."""

    scope = ""

    def __init__(self) -> None:
        self.retry_after = 1

    def bucket(self, request: Request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        bucket = self.bucket(request)
        if bucket is None:
            return True
        limits = settings.GRAPHQL_RATE_LIMITS
        usage = consume(
            f"graphql:{self.scope}:{bucket}",
            limit=limits[self.scope],
            window_seconds=limits["window_seconds"],
        )
        self.retry_after = usage.retry_after
        return not usage.exceeded

    def wait(self) -> float:
        return self.retry_after


class GraphQLIpThrottle(GraphQLThrottle):
    scope = "ip"

    def bucket(self, request: Request) -> str | None:
        return client_ip(request._request) or "unknown"


class GraphQLUserThrottle(GraphQLThrottle):
    scope = "user"

    def bucket(self, request: Request) -> str | None:
        return str(request.user.pk) if isinstance(request.user, User) else None


class GraphQLApiKeyThrottle(GraphQLThrottle):
    scope = "api_key"

    def bucket(self, request: Request) -> str | None:
        return str(request.auth.pk) if isinstance(request.auth, ApiKey) else None


# After authentication; the per-IP limit is checked before it (views.GraphQLView.initial).
GRAPHQL_THROTTLES = [GraphQLUserThrottle, GraphQLApiKeyThrottle]
