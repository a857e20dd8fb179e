"""Back office for accounts: users and API keys."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from admin_ui.operator import operator_of
from exchange.accounts.actions import do_revoke_api_key, do_set_user_active
from exchange.accounts.errors import TwoFactorError
from exchange.accounts.key_cache import forget_cached_api_keys
from exchange.accounts.models import ApiKey, User
from exchange.accounts.two_factor import do_disable_two_factor


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    # Deactivating is an audited action, not a checkbox.
    readonly_fields = ("is_active", "last_login", "date_joined")
    actions = ("deactivate", "activate", "reset_two_factor")

    def _set_active(self, request: HttpRequest, queryset: QuerySet[User], active: bool) -> None:
        changed = [u for u in queryset if u.is_active != active and u.pk != request.user.pk]
        for user in changed:
            do_set_user_active(user_id=user.pk, active=active, operator=operator_of(request))
        self.message_user(
            request, f"{len(changed)} user(s) {'activated' if active else 'deactivated'}."
        )

    @admin.action(description="Deactivate selected users")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._set_active(request, queryset, False)

    @admin.action(description="Activate selected users")
    def activate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._set_active(request, queryset, True)

    @admin.action(description="Reset two-factor (lost authenticator)")
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = 0
        for user in queryset:
            try:
                do_disable_two_factor(user=user, operator=operator_of(request))
                done += 1
            except TwoFactorError:
                continue  # had none: nothing to reset
        self.message_user(request, f"Two-factor reset for {done} user(s); they can enrol again.")

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Email and staff status are cached with the user's keys: read them again.
        forget_cached_api_keys()

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        super().delete_model(request, obj)
        forget_cached_api_keys()  # the user's keys went with them

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        super().delete_queryset(request, queryset)
        forget_cached_api_keys()


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    list_display = (
        "label",
        "user",
        "key_prefix",
        "kind",
        "permissions",
        "created_at",
        "revoked_at",
    )
    list_filter = ("kind", "revoked_at")
    search_fields = ("label", "user__email", "key")
    # The encrypted secret is never shown, not even encrypted.
    exclude = ("secret_encrypted",)
    # Permissions and whitelist change only through the owner's create/revoke actions.
    readonly_fields = (
        "user",
        "key",
        "kind",
        "public_key",
        "permissions",
        "ip_whitelist",
        "created_at",
        "revoked_at",
    )
    actions = ("revoke",)

    @admin.display(description="key")
    def key_prefix(self, obj: ApiKey) -> str:
        return f"{obj.key[:8]}…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are created by their owner, who sees the secret once

    def delete_model(self, request: HttpRequest, obj: ApiKey) -> None:
        super().delete_model(request, obj)
        forget_cached_api_keys()  # refused on the next request to every process

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        super().delete_queryset(request, queryset)
        forget_cached_api_keys()

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        active = list(queryset.filter(revoked_at__isnull=True))
        for api_key in active:
            do_revoke_api_key(
                user=api_key.user, api_key_id=api_key.pk, operator=operator_of(request)
            )
        self.message_user(request, f"Revoked {len(active)} key(s).")
