"""Encryption at rest of API-key secrets.

The key comes from ``settings.API_KEY_ENCRYPTION_KEYS`` (Fernet keys; the
first encrypts, all decrypt, so keys can be rotated), never from SECRET_KEY.
"""

from __future__ import annotations

import secrets

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.API_KEY_ENCRYPTION_KEYS])


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def new_key_string() -> str:
    """A 64-character public API key, URL-safe alphanumerics like Binance's."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(64))


def new_secret_string() -> str:
    return new_key_string()
