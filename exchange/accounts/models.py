"""Users (email login) and API keys."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Raised to end every session signed in before (two_factor.rotate_credentials).
    credentials_epoch = models.PositiveIntegerField(default=0)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email

    def get_session_auth_hash(self) -> str:
        """Django's password-derived hash, with the credentials epoch mixed in once it
        is raised: a session (or WebSocket) whose stored hash differs is signed out."""
        return self._with_epoch(super().get_session_auth_hash())

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback in super().get_session_auth_fallback_hash():
            yield self._with_epoch(fallback)

    def _with_epoch(self, password_hash: str) -> str:
        if not self.credentials_epoch:
            return password_hash  # sessions from before the field existed stay valid
        return salted_hmac(
            "exchange.accounts.User.credentials_epoch",
            f"{password_hash}:{self.credentials_epoch}",
            algorithm="sha256",
        ).hexdigest()


class ApiKeyPermission(models.TextChoices):
    READ = "read"
    TRADE = "trade"
    WITHDRAW = "withdraw"


class ApiKeyKind(models.TextChoices):
    HMAC = "HMAC", "HMAC-SHA256 shared secret"
    ED25519 = "ED25519", "Ed25519 public key"


class ApiKey(models.Model):
    """A bot's credential. HMAC secrets are stored encrypted (see secrets.py);
    for Ed25519 keys only the public key is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    label = models.CharField(max_length=100)
    key = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=8, choices=ApiKeyKind.choices, default=ApiKeyKind.HMAC)
    secret_encrypted = models.TextField(blank=True, default="")
    public_key = models.TextField(blank=True, default="")
    permissions = models.JSONField(default=list)
    ip_whitelist = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.label} ({self.key[:8]}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def allows(self, permission: str) -> bool:
        return permission in self.permissions

    def allows_ip(self, ip: str) -> bool:
        """An empty whitelist allows every address."""
        if not self.ip_whitelist:
            return True
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(
            address in ipaddress.ip_network(network, strict=False) for network in self.ip_whitelist
        )
