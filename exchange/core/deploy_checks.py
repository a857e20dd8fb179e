"""Refuse development secrets in production.

``make run`` and ``make test`` need no configuration, so ``SECRET_KEY`` and
``API_KEY_ENCRYPTION_KEYS`` have development defaults. Two guards keep those
defaults out of production: ``ENVIRONMENT=production`` makes settings raise
``ImproperlyConfigured`` at startup, and ``manage.py check --deploy`` reports
``exchange.E001`` / ``exchange.E002`` whatever ``ENVIRONMENT`` says. Both also
refuse what is not a secret at all: a ``SECRET_KEY`` that is a placeholder
(``CHANGE-ME...``, as in ``secrets.example.env``) or shorter than 32 characters
(``exchange.E003``), and an ``API_KEY_ENCRYPTION_KEYS`` entry that is not a
Fernet key (``exchange.E004``; it would fail on the first API key otherwise).
This module imports nothing from the settings, so the settings can use it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet
from django.core import checks

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-in-production"  # noqa: S105 - the known value refused in production
ENVIRONMENTS = ("development", "production")
PLACEHOLDER = "CHANGE-ME"
MIN_SECRET_KEY_LENGTH = 32


def derived_dev_key(purpose: str, secret_key: str) -> str:
    """A development-only Fernet key derived from ``secret_key`` under a distinct purpose."""
    digest = hashlib.sha256(f"{purpose}:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def dev_api_key_encryption_keys(secret_key: str) -> list[str]:
    return [derived_dev_key("api-key-encryption", secret_key)]


def secret_key_is_dev(secret_key: str) -> bool:
    return not secret_key or secret_key == DEV_SECRET_KEY


def encryption_keys_are_dev(keys: Sequence[str], secret_key: str) -> bool:
    return not keys or list(keys) == dev_api_key_encryption_keys(secret_key)


def secret_key_is_weak(secret_key: str) -> bool:
    """A placeholder (contains CHANGE-ME, any case) or too short to be a secret."""
    return PLACEHOLDER.lower() in secret_key.lower() or len(secret_key) < MIN_SECRET_KEY_LENGTH


def invalid_encryption_keys(keys: Sequence[str]) -> list[int]:
    """Positions (1-based) of the entries that are not Fernet keys."""
    bad = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.strip())
        except (ValueError, TypeError):
            bad.append(position)
    return bad


def secret_problems(*, secret_key: str, api_key_encryption_keys: Sequence[str]) -> list[str]:
    """What is wrong with these secrets for production; empty when they are fine."""
    problems = []
    if secret_key_is_dev(secret_key):
        problems.append("SECRET_KEY is unset (the development default is in use)")
    elif secret_key_is_weak(secret_key):
        problems.append(
            f"SECRET_KEY is a placeholder ({PLACEHOLDER}) or shorter than "
            f"{MIN_SECRET_KEY_LENGTH} characters"
        )
    if encryption_keys_are_dev(api_key_encryption_keys, secret_key):
        problems.append(
            "API_KEY_ENCRYPTION_KEYS is unset (a development key derived from SECRET_KEY is in use)"
        )
    elif bad := invalid_encryption_keys(api_key_encryption_keys):
        problems.append(
            "API_KEY_ENCRYPTION_KEYS entry "
            + ", ".join(map(str, bad))
            + " is not a Fernet key (32 url-safe base64-encoded bytes)"
        )
    return problems


def production_guard(
    *, environment: str, secret_key: str, api_key_encryption_keys: Sequence[str]
) -> str | None:
    """The reason to refuse to start, or None; call from the settings module."""
    if environment not in ENVIRONMENTS:
        return f"ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}."
    if environment != "production":
        return None
    problems = secret_problems(
        secret_key=secret_key, api_key_encryption_keys=api_key_encryption_keys
    )
    if not problems:
        return None
    return (
        "ENVIRONMENT=production refuses development secrets: "
        + "; ".join(problems)
        + ". Set SECRET_KEY to a long random value and API_KEY_ENCRYPTION_KEYS to Fernet keys "
        "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
    )


@checks.register(checks.Tags.security, deploy=True)
def check_production_secrets(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``manage.py check --deploy``: development secrets are errors, not warnings."""
    from django.conf import settings

    errors: list[checks.CheckMessage] = []
    if secret_key_is_dev(settings.SECRET_KEY):
        errors.append(
            checks.Error(
                "SECRET_KEY is the development default.",
                hint="Set the SECRET_KEY environment variable to a long random value.",
                id="exchange.E001",
            )
        )
    elif secret_key_is_weak(settings.SECRET_KEY):
        errors.append(
            checks.Error(
                f"SECRET_KEY is a placeholder ({PLACEHOLDER}) or shorter than "
                f"{MIN_SECRET_KEY_LENGTH} characters.",
                hint="Set the SECRET_KEY environment variable to a long random value.",
                id="exchange.E003",
            )
        )
    if encryption_keys_are_dev(settings.API_KEY_ENCRYPTION_KEYS, settings.SECRET_KEY):
        errors.append(
            checks.Error(
                "API_KEY_ENCRYPTION_KEYS is derived from SECRET_KEY (development only).",
                hint="Set API_KEY_ENCRYPTION_KEYS to comma-separated Fernet keys "
                "(cryptography.fernet.Fernet.generate_key()).",
                id="exchange.E002",
            )
        )
    elif bad := invalid_encryption_keys(settings.API_KEY_ENCRYPTION_KEYS):
        errors.append(
            checks.Error(
                "API_KEY_ENCRYPTION_KEYS entry "
                + ", ".join(map(str, bad))
                + " is not a Fernet key.",
                hint="Each entry must be a key from cryptography.fernet.Fernet.generate_key().",
                id="exchange.E004",
            )
        )
    return errors
