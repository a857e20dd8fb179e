"""Read-only queries of accounts and API keys."""

from __future__ import annotations

from django.db.models import QuerySet

from exchange.accounts.models import ApiKey, User


def api_key_list(*, user: User, include_revoked: bool = False) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.filter(user=user).order_by("-created_at", "-pk")
    return keys if include_revoked else keys.filter(revoked_at__isnull=True)
