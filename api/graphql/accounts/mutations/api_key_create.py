"""createApiKey: a new key for the caller; an HMAC secret is returned this once."""

from __future__ import annotations

import graphene

from api.graphql.accounts.types import ApiKey, ApiKeyError, ApiKeyErrorCode, ApiKeyPermission
from api.graphql.core.auth import require_login
from api.graphql.core.enums import enum_values
from api.graphql.core.errors import DomainMutation
from exchange.accounts.actions import do_create_api_key
from exchange.accounts.requests import ApiKeyRequest


class CreateApiKey(DomainMutation):
    """Session or token callers only: an API key cannot create keys."""

    class Arguments:
        label = graphene.String(required=True)
        permissions = graphene.List(graphene.NonNull(ApiKeyPermission), required=True)
        ip_whitelist = graphene.List(
            graphene.NonNull(graphene.String), description="IPs or CIDR networks; empty allows all"
        )
        ed25519_public_key = graphene.String(
            description="PEM or base64 of 32 raw bytes; omit for an HMAC key"
        )
        otp_code = graphene.String(
            description="Required when two-factor is on: the authenticator's or a recovery code."
        )

    api_key = graphene.Field(ApiKey)
    secret = graphene.String(description="The HMAC secret, shown once; null for Ed25519 keys.")
    errors = graphene.List(graphene.NonNull(ApiKeyError), required=True)

    error_codes = ApiKeyErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls,
        info: graphene.ResolveInfo,
        *,
        label: str,
        permissions: list[object],
        ip_whitelist: list[str] | None = None,
        ed25519_public_key: str | None = None,
        otp_code: str | None = None,
    ) -> CreateApiKey:
        created = do_create_api_key(
            user=require_login(info),
            request=ApiKeyRequest.parse(
                label=label,
                permissions=enum_values(permissions),
                ip_whitelist=ip_whitelist or (),
                ed25519_public_key=ed25519_public_key,
                otp_code=otp_code or "",
            ),
        )
        return cls(api_key=created.api_key, secret=created.secret, errors=[])
