"""Listen keys: the bearer token of a user-data WebSocket stream (Binance's listenKey flow).

A key is created for one user and one of their API keys and lives in Redis
for ``LISTEN_KEY_TTL_SECONDS`` (60 minutes); a keepalive restarts the clock.
While a key lives, creating again for the same API key returns the same key
(and extends it), as Binance does. Revoking the API key or deactivating the
user invalidates the key at its next use.

A signed-in person (session or token, the web page) gets a key of their own,
``create_session_listen_key``, recorded with API key id 0: it lives while the user
is active, with the same expiry and keepalive.

Redis keys: ``listenkey:<key>`` → ``"<user_id>:<api_key_id>"`` and
``listenkey-of:<api_key_id>`` (``listenkey-of-user:<user_id>`` for a session's key)
→ ``<key>``, both with the same expiry.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from exchange.accounts.errors import ListenKeyError, ListenKeyErrorCode
from exchange.accounts.models import ApiKey, User
from exchange.core.redis import get_redis

LISTEN_KEY_TTL_SECONDS = 60 * 60
LISTEN_KEY_LENGTH = 60
SESSION = 0  # the API key id recorded for a key created by a session or token
_ALPHABET = string.ascii_letters + string.digits


def _key(listen_key: str) -> str:
    return f"listenkey:{listen_key}"


def _of(api_key_id: int, user_id: int) -> str:
    return f"listenkey-of:{api_key_id}" if api_key_id != SESSION else f"listenkey-of-user:{user_id}"


def _owner(listen_key: str) -> tuple[int, int] | None:
    if not listen_key or len(listen_key) > 128:
        return None
    raw: Any = get_redis().get(_key(listen_key))
    if raw is None:
        return None
    user_id, _, api_key_id = raw.decode().partition(":")
    return int(user_id), int(api_key_id)


def _owned(*, user: User, listen_key: str) -> int:
    """The API key id behind ``listen_key`` if it belongs to ``user``; raise otherwise."""
    owner = _owner(listen_key)
    if owner is None:
        raise ListenKeyError(
            ListenKeyErrorCode.UNKNOWN_LISTEN_KEY, "This listen key does not exist."
        )
    if owner[0] != user.pk:
        raise ListenKeyError(
            ListenKeyErrorCode.FOREIGN_LISTEN_KEY, "This listen key does not belong to you."
        )
    return owner[1]


def create_listen_key(*, user: User, api_key: ApiKey) -> str:
    """Return the live listen key of ``api_key`` (extended) or a new one."""
    if api_key.user_id != user.pk or not api_key.is_active or not user.is_active:
        raise ListenKeyError(
            ListenKeyErrorCode.API_KEY_INACTIVE, "The API key is revoked or not yours."
        )
    return _issue(user_id=user.pk, api_key_id=api_key.pk)


def create_session_listen_key(*, user: User) -> str:
    """Return the signed-in user's own live listen key (extended) or a new one."""
    return _issue(user_id=user.pk, api_key_id=SESSION)


def _issue(*, user_id: int, api_key_id: int) -> str:
    client = get_redis()
    existing: Any = client.get(_of(api_key_id, user_id))
    if existing is not None and _owner(existing.decode()) == (user_id, api_key_id):
        listen_key = existing.decode()
    else:
        listen_key = "".join(secrets.choice(_ALPHABET) for _ in range(LISTEN_KEY_LENGTH))
    # Not a MULTI: the two keys may live on different Redis Cluster slots. If
    # only the first is written, the next create makes a fresh key; nothing breaks.
    pipe = client.pipeline(transaction=False)
    pipe.set(_key(listen_key), f"{user_id}:{api_key_id}", ex=LISTEN_KEY_TTL_SECONDS)
    pipe.set(_of(api_key_id, user_id), listen_key, ex=LISTEN_KEY_TTL_SECONDS)
    pipe.execute()
    return listen_key


def keepalive_listen_key(*, user: User, listen_key: str) -> None:
    """Extend the key's life to 60 minutes from now."""
    api_key_id = _owned(user=user, listen_key=listen_key)
    pipe = get_redis().pipeline(transaction=False)
    pipe.expire(_key(listen_key), LISTEN_KEY_TTL_SECONDS)
    pipe.expire(_of(api_key_id, user.pk), LISTEN_KEY_TTL_SECONDS)
    pipe.execute()


def close_listen_key(*, user: User, listen_key: str) -> None:
    """Invalidate the key; streams opened with it end at their next check."""
    api_key_id = _owned(user=user, listen_key=listen_key)
    get_redis().delete(_key(listen_key), _of(api_key_id, user.pk))


def forget_session_listen_key(*, user_id: int) -> None:
    """Invalidate the user's session listen key (if any); their page asks for a new one,
    which only a session still signed in gets."""
    client = get_redis()
    existing: Any = client.get(_of(SESSION, user_id))
    keys = [_of(SESSION, user_id)]
    if existing is not None:
        keys.append(_key(existing.decode()))
    client.delete(*keys)


def user_for_listen_key(listen_key: str) -> User | None:
    """The active user of a live key whose API key is still active, else None."""
    owner = _owner(listen_key)
    if owner is None:
        return None
    if owner[1] == SESSION:
        return User.objects.filter(pk=owner[0], is_active=True).first()
    api_key = ApiKey.objects.select_related("user").filter(pk=owner[1], user_id=owner[0]).first()
    if api_key is None or not api_key.is_active or not api_key.user.is_active:
        return None
    return api_key.user


def listen_key_ttl(listen_key: str) -> int:
    """Seconds the key has left (-2 when it does not exist), for keepalive checks and tests."""
    return int(get_redis().ttl(_key(listen_key)))
