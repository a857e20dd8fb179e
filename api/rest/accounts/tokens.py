"""The REST API's login tokens (DRF ``authtoken``): issued at login, dropped at logout,
when an operator deactivates the user (``exchange.accounts.signals.user_deactivated``)
and when the user turns two-factor on (``credentials_rotated``).

They are the REST surface's own credential, so they live here and not in the
accounts domain, which must not import DRF (pyproject's import-linter contract).
"""

from __future__ import annotations

from typing import Any

from rest_framework.authtoken.models import Token

from exchange.accounts.models import User


def issue_token(*, user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def revoke_token(*, user: User) -> None:
    Token.objects.filter(user=user).delete()


def revoke_on_deactivation(sender: object, *, user: User, **_: Any) -> None:
    """A deactivated user's token goes with their access (reactivation does not revive
    it); so does one issued before two-factor was turned on."""
    revoke_token(user=user)
