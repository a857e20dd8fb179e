"""DRF throttles on the shared Redis limiter: per IP, per user, per API key.

Limits come from settings (``RATE_LIMITS``, from env vars) and are read at
request time, so tests can lower them with ``settings``. A refused request
gets 429 ``RATE_LIMITED`` with ``Retry-After`` from the exception handler.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api.ratelimit import consume, count_rate_limited
from api.rest.client_ip import client_ip
from exchange.accounts.models import ApiKey


class RedisThrottle(BaseThrottle):
    """Consume one unit from ``bucket(request)``'s window; no bucket means not limited.

    ``surface`` names the buckets (``<surface>:<scope>:<bucket>``) and
    ``limits_setting`` the settings dict of limits, so another surface (GraphQL)
    reuses these classes with a budget of its own.
    """

    scope = ""
    surface = "rest"
    limits_setting = "RATE_LIMITS"

    def __init__(self) -> None:
        self.retry_after = 1

    def bucket(self, request: Request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        bucket = self.bucket(request)
        if bucket is None:
            return True
        limits = getattr(settings, self.limits_setting)
        usage = consume(
            f"{self.surface}:{self.scope}:{bucket}",
            limit=limits[self.scope],
            window_seconds=limits["window_seconds"],
        )
        self.retry_after = usage.retry_after
        if usage.exceeded:
            count_rate_limited(self.surface, self.scope)
        return not usage.exceeded

    def wait(self) -> float:
        return self.retry_after


class IpRateThrottle(RedisThrottle):
    scope = "ip"

    def bucket(self, request: Request) -> str | None:
        return client_ip(request._request) or "unknown"


class UserRateThrottle(RedisThrottle):
    scope = "user"

    def bucket(self, request: Request) -> str | None:
        user = request.user
        return str(user.pk) if user is not None and user.is_authenticated else None


class ApiKeyRateThrottle(RedisThrottle):
    scope = "api_key"

    def bucket(self, request: Request) -> str | None:
        return str(request.auth.pk) if isinstance(request.auth, ApiKey) else None


class LoginRateThrottle(RedisThrottle):
    """Register and login per IP: a tight limit against password guessing."""

    scope = "login"

    def bucket(self, request: Request) -> str | None:
        return client_ip(request._request) or "unknown"


# Checked after authentication; the per-IP limit is checked before it (api.rest.base).
DEFAULT_THROTTLES = [UserRateThrottle, ApiKeyRateThrottle]
