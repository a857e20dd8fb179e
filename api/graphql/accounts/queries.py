"""`me`: the caller and their own data."""

from __future__ import annotations

from typing import Any

import graphene

from api.graphql.accounts.types import Me
from api.graphql.core.auth import require_user
from exchange.accounts.models import User


class AccountQueries(graphene.ObjectType):
    me = graphene.Field(
        Me, required=True, description="Needs a session, a token or an API key with `read`."
    )

    @staticmethod
    def resolve_me(root: Any, info: graphene.ResolveInfo) -> User:
        return require_user(info, "read")
