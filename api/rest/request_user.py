"""The authenticated user of a request, typed for the exchange actions."""

from __future__ import annotations

from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from exchange.accounts.models import User


def request_user(request: Request) -> User:
    """Call only in views guarded by IsAuthenticated (the default)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user
