"""The admin's second factor: the login form's code field, and the page where an
operator turns TOTP on (QR code, recovery codes) or off. Rules live in
``exchange.accounts.two_factor``; this module only asks and shows."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import django_otp
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from admin_ui.operator import operator_of
from exchange.accounts.errors import TwoFactorError
from exchange.accounts.models import User
from exchange.accounts.two_factor import (
    check_second_factor,
    do_begin_totp_enrolment,
    do_confirm_totp_enrolment,
    do_disable_two_factor,
    provisioning_qr_svg,
    recovery_codes_left,
    two_factor_enrolled,
)


def _code_field(**kwargs: Any) -> forms.CharField:
    return forms.CharField(
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off"}),
        **kwargs,
    )


class OperatorLoginForm(AdminAuthenticationForm):
    """Email and password, then, for staff who enrolled, a code from their
    authenticator or one of their recovery codes."""

    otp_token = _code_field(
        label="Authentication code",
        required=False,
        help_text="Six digits from your authenticator app, or a recovery code.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and two_factor_enrolled(user):
            try:
                device = check_second_factor(user=user, code=cleaned.get("otp_token") or "")
            except TwoFactorError as exc:
                raise ValidationError(exc.message, code=exc.code.value) from exc
            user.otp_device = device  # type: ignore[attr-defined]  # django-otp logs it in
        return cleaned


def must_enrol(request: HttpRequest) -> bool:
    """Staff who must turn two-factor on before they see any other admin page."""
    user = request.user
    return bool(
        settings.ADMIN_REQUIRE_TWO_FACTOR
        and user.is_active
        and user.is_staff
        and not two_factor_enrolled(user)  # type: ignore[arg-type]
    )


def second_factor_passed(request: HttpRequest) -> bool:
    """This session gave a code, or its user has none to give (and need not)."""
    user = request.user
    if user.is_verified():  # type: ignore[union-attr]
        return True
    return not settings.ADMIN_REQUIRE_TWO_FACTOR and not two_factor_enrolled(user)  # type: ignore[arg-type]


def code_owed(request: HttpRequest) -> bool:
    """A session that knows the password of an account with two-factor on but has not
    given a code (logged in elsewhere): it may not turn two-factor off."""
    return two_factor_enrolled(request.user) and not request.user.is_verified()  # type: ignore[arg-type, union-attr]


class CodeForm(forms.Form):
    code = _code_field(label="Code from your authenticator")


def two_factor_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """Turn TOTP on (scan, confirm with a code, keep the recovery codes) or off."""
    user: User = request.user  # type: ignore[assignment]
    if two_factor_enrolled(user):
        return _enrolled(request, user, context)
    device = do_begin_totp_enrolment(user=user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            codes = do_confirm_totp_enrolment(
                user=user, code=form.cleaned_data["code"], operator=operator_of(request)
            )
        except TwoFactorError as exc:
            form.add_error("code", exc.message)
        else:
            device.refresh_from_db()
            update_session_auth_hash(request, user)  # enrolment ended every other session
            django_otp.login(request, device)  # this session has just shown a code
            return TemplateResponse(
                request,
                "admin_ui/two_factor_recovery_codes.html",
                {**context, "title": "Two-factor is on", "codes": codes},
            )
    return TemplateResponse(
        request,
        "admin_ui/two_factor_enrol.html",
        {
            **context,
            "title": "Turn on two-factor authentication",
            "form": form,
            "qr_svg": provisioning_qr_svg(device),
            "secret": b32encode(device.bin_key).decode(),
            "required": settings.ADMIN_REQUIRE_TWO_FACTOR,
        },
    )


def _enrolled(request: HttpRequest, user: User, context: dict[str, Any]) -> HttpResponse:
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            check_second_factor(user=user, code=form.cleaned_data["code"])
            do_disable_two_factor(user=user, operator=operator_of(request))
        except TwoFactorError as exc:
            form.add_error("code", exc.message)
        else:
            messages.success(request, "Two-factor authentication is off.")
            return HttpResponseRedirect(reverse("admin:two_factor"))
    return TemplateResponse(
        request,
        "admin_ui/two_factor_enrolled.html",
        {
            **context,
            "title": "Two-factor authentication",
            "form": form,
            "recovery_left": recovery_codes_left(user),
            "required": settings.ADMIN_REQUIRE_TWO_FACTOR,
        },
    )
