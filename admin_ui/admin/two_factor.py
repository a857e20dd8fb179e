"""Who has two-factor on, read-only: devices change only through the audited actions
(the user's own two-factor page, or "Reset two-factor" on the users page).

Registered before django-otp's own pages (``admin_ui`` is installed first), which
would show the TOTP secrets and let staff edit devices without an audit record.
"""

from __future__ import annotations

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from admin_ui.admin.mixins import ReadOnlyMixin


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ReadOnlyMixin, admin.ModelAdmin[TOTPDevice]):
    list_display = ("user", "name", "confirmed", "last_used_at", "throttling_failure_count")
    list_filter = ("confirmed",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count")


@admin.register(StaticDevice)
class RecoveryCodesAdmin(ReadOnlyMixin, admin.ModelAdmin[StaticDevice]):
    list_display = ("user", "name", "created_at", "last_used_at")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("user", "name", "created_at", "last_used_at", "throttling_failure_count")
