"""Active API keys with their users, kept in each web process for the signed-request path.

A signed request used to cost an ORM query for the key and its user, then a Redis
round trip for a shared record. Now each process keeps the rows' values in memory
under the ``apikeys`` version token (``exchange.core.cache_versions``), which the
request reads with the round trip it makes anyway; every change to a key or to a
user bumps the token, so the next request to any process reads the rows again
(``forget_cached_api_keys``). Only active keys of active users are kept; unknown and
revoked keys always go to the database, so a key created a moment ago works at once.
Each request gets fresh model instances: a view that caches a relation on its user
cannot leak it into another request.
"""

from __future__ import annotations

from typing import Any

from exchange.accounts.models import ApiKey, User
from exchange.core import cache_versions
from exchange.core.process_cache import ProcessCache

# The fields kept; any other field is deferred and loaded from the database if read.
KEY_FIELDS = (
    "id",
    "user_id",
    "key",
    "kind",
    "secret_encrypted",
    "public_key",
    "permissions",
    "ip_whitelist",
    "revoked_at",
)
USER_FIELDS = ("id", "email", "is_active", "is_staff")

_Record = tuple[tuple[Any, ...], tuple[Any, ...]]
_cache: ProcessCache[_Record] = ProcessCache()


def _record(api_key: ApiKey) -> _Record:
    # The JSON lists (permissions, whitelist) are kept as tuples: no request can change them.
    values = (getattr(api_key, f) for f in KEY_FIELDS)
    return (
        tuple(tuple(v) if isinstance(v, list) else v for v in values),
        tuple(getattr(api_key.user, f) for f in USER_FIELDS),
    )


def _build(record: _Record) -> ApiKey:
    key_values, user_values = record
    values = [list(v) if isinstance(v, tuple) else v for v in key_values]
    api_key = ApiKey.from_db("default", list(KEY_FIELDS), values)
    api_key.user = User.from_db("default", list(USER_FIELDS), list(user_values))
    return api_key


def cached_api_key(key: str) -> ApiKey | None:
    """The API key ``key`` with its user (active or not), or None when there is none."""
    token = cache_versions.current(cache_versions.API_KEYS)  # before the database
    record = _cache.get(key, token)
    if record is not None:
        return _build(record)
    api_key = ApiKey.objects.select_related("user").filter(key=key).first()
    if api_key is not None and api_key.is_active and api_key.user.is_active:
        _cache.put(key, token, _record(api_key))
    return api_key


def forget_cached_api_keys() -> None:
    """Make every process read keys again: now, and once the current transaction commits.

    Call after any change to a key (revocation, deletion, permissions, whitelist) or to
    a user's ``is_active``, ``is_staff`` or ``email``.
    """
    cache_versions.bump(cache_versions.API_KEYS)
