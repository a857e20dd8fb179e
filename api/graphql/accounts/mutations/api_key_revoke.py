"""revokeApiKey: the key stops verifying at once."""

from __future__ import annotations

import graphene

from api.graphql.accounts.types import ApiKey, ApiKeyError, ApiKeyErrorCode
from api.graphql.core.auth import require_login
from api.graphql.core.errors import DomainMutation
from api.graphql.core.ids import parse_id
from exchange.accounts.actions import do_revoke_api_key
from exchange.accounts.errors import ApiKeyError as DomainApiKeyError
from exchange.accounts.errors import ApiKeyErrorCode as DomainApiKeyErrorCode


class RevokeApiKey(DomainMutation):
    """Session or token callers only. Revoking twice is harmless."""

    class Arguments:
        id = graphene.ID(required=True)

    api_key = graphene.Field(ApiKey)
    errors = graphene.List(graphene.NonNull(ApiKeyError), required=True)

    error_codes = ApiKeyErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls,
        info: graphene.ResolveInfo,
        *,
        id: str,  # noqa: A002 - the argument's name
    ) -> RevokeApiKey:
        user = require_login(info)
        api_key_id = parse_id(id)
        if api_key_id is None:
            raise DomainApiKeyError(DomainApiKeyErrorCode.NOT_FOUND, "No such API key.")
        return cls(api_key=do_revoke_api_key(user=user, api_key_id=api_key_id), errors=[])
