"""Who is calling, and may they: every resolver that reads or changes a user's data asks here.

``views.GraphQLView`` runs DRF authentication first, so the request carries
``user`` (session, token or signed API key) and ``api_key`` (the ApiKey when the
caller signed with one, else None).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from exchange.accounts.errors import ApiKeyError
from exchange.accounts.models import ApiKey, User
from exchange.accounts.signing import require_api_key_permission

NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
PERMISSION_DENIED = "PERMISSION_DENIED"


def _request(info: GraphQLResolveInfo) -> Any:
    return info.context


def current_api_key(info: GraphQLResolveInfo) -> ApiKey | None:
    api_key = getattr(_request(info), "api_key", None)
    return api_key if isinstance(api_key, ApiKey) else None


def require_user(info: GraphQLResolveInfo, permission: str = "read") -> User:
    """The caller; an API key must hold ``permission`` (read, trade or withdraw)."""
    user = getattr(_request(info), "user", None)
    if not isinstance(user, User) or not user.is_active:
        raise GraphQLError(
            "Authentication credentials were not provided.",
            extensions={"code": NOT_AUTHENTICATED},
        )
    api_key = current_api_key(info)
    if api_key is not None:
        try:
            require_api_key_permission(api_key, permission)
        except ApiKeyError as exc:
            raise GraphQLError(exc.message, extensions={"code": exc.code.value}) from exc
    return user


def require_login(info: GraphQLResolveInfo) -> User:
    """The caller signed in with a session or token: API keys cannot manage API keys."""
    user = require_user(info)
    if current_api_key(info) is not None:
        raise GraphQLError(
            "API keys cannot manage API keys; sign in with a session or token.",
            extensions={"code": PERMISSION_DENIED},
        )
    return user
