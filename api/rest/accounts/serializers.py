"""Shapes of account and API-key requests and responses. No rules here."""

from __future__ import annotations

from rest_framework import serializers

from exchange.accounts.models import ApiKey, ApiKeyPermission, User


class CredentialsIn(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class LoginIn(CredentialsIn):
    otp_code = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text=(
            "Required when two-factor is on: the authenticator's code or a recovery code. "
            "Without it a right password answers TWO_FACTOR_CODE_REQUIRED."
        ),
    )


class UserOut(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ("id", "email", "date_joined")


class TokenOut(serializers.Serializer):
    token = serializers.CharField()
    user = UserOut()


class ApiKeyIn(serializers.Serializer):
    # Untrimmed, so the documented maxLength holds for what was sent; the action trims.
    label = serializers.CharField(max_length=100, trim_whitespace=False)  # type: ignore[assignment]  # shadows Field.label
    permissions = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiKeyPermission.choices), allow_empty=False
    )
    ip_whitelist = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    ed25519_public_key = serializers.CharField(required=False, allow_blank=False)
    otp_code = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="Required when two-factor is on: the authenticator's code or a recovery code.",
    )


class ApiKeyOut(serializers.ModelSerializer[ApiKey]):
    class Meta:
        model = ApiKey
        fields: tuple[str, ...] = (
            "id",
            "label",
            "key",
            "kind",
            "permissions",
            "ip_whitelist",
            "created_at",
            "revoked_at",
        )


class ApiKeyCreatedOut(ApiKeyOut):
    secret = serializers.CharField(allow_null=True, help_text="Shown once; store it now.")

    class Meta(ApiKeyOut.Meta):
        fields = (*ApiKeyOut.Meta.fields, "secret")


class SessionOut(serializers.Serializer):
    user = UserOut()


class ListenKeyOut(serializers.Serializer):
    listen_key = serializers.CharField(help_text="Open ws://HOST/ws/<listen_key>; 60 minutes.")


class TwoFactorStatusOut(serializers.Serializer):
    enabled = serializers.BooleanField()
    recovery_codes_left = serializers.IntegerField()


class TwoFactorEnrolmentOut(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32, for apps that cannot scan the QR code.")
    otpauth_url = serializers.CharField()
    qr_svg = serializers.CharField(help_text="The otpauth URL as an inline SVG QR code.")


class OtpCodeIn(serializers.Serializer):
    otp_code = serializers.CharField(max_length=32, allow_blank=True)


class RecoveryCodesOut(serializers.Serializer):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(), help_text="Each works once; shown this once."
    )
    token = serializers.CharField(
        required=False,
        help_text="A token caller's new login token: turning two-factor on ended the old one.",
    )
