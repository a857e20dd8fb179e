"""Domain errors as GraphQL data, Saleor style.

A mutation's refusal (bad price, insufficient balance...) is returned in its
payload as ``errors: [XError!]!``, each with a ``code`` from an enum built from
the domain's own error enums, so a code means the same on REST and GraphQL.
Authentication and permission failures stay top-level GraphQL errors with
``extensions.code``, as do domain errors raised by queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

import graphene
from graphene.utils.str_converters import to_camel_case

from api.refusals import GRAPHQL, count_field_error
from exchange.core.errors import DomainError

# Domain field names (the typed requests' snake_case attributes) are this API's
# arguments camelCased, as graphene names them; these differ.
FIELD_NAMES = {
    "public_key": "ed25519PublicKey",
}


def argument_name(field: str) -> str:
    """The argument a domain field name stands for."""
    return FIELD_NAMES.get(field) or to_camel_case(field)


def code_enum(
    name: str, enums: Iterable[Iterable[StrEnum]], *, description: str
) -> type[graphene.Enum]:
    """One GraphQL enum holding the codes of ``enums`` (whole enums or chosen members);
    its names are the codes themselves."""
    codes = sorted({member.value for enum in enums for member in enum})
    return graphene.Enum(name, [(code, code) for code in codes], description=description)


class DomainErrorType(graphene.ObjectType):
    """Fields every typed error list shares; subclasses add ``code``."""

    class Meta:
        abstract = True

    field = graphene.String(
        description="The argument the error is about; null when it is about the whole input."
    )
    message = graphene.String(required=True, description="For people; match on `code`.")


def error_list(exc: DomainError) -> list[dict[str, Any]]:
    """One entry per field the domain names, or one entry without a field."""
    fields: list[str | None] = [*exc.fields] or [None]
    return [
        {
            "code": exc.code.value,
            "field": argument_name(field) if field else None,
            "message": exc.message,
        }
        for field in fields
    ]


class DomainMutation(graphene.Mutation):
    """A mutation that calls one action and reports its domain errors in ``errors``.

    Subclasses define ``perform_mutation`` and an ``errors`` field whose code
    enum is ``error_codes``; a domain error outside that enum is a bug and
    propagates as a top-level error.
    """

    class Meta:
        abstract = True

    error_codes: type[graphene.Enum]

    @classmethod
    def perform_mutation(cls, info: graphene.ResolveInfo, **data: Any) -> DomainMutation:
        raise NotImplementedError

    @classmethod
    def mutate(cls, root: object, info: graphene.ResolveInfo, **data: Any) -> DomainMutation:
        try:
            return cls.perform_mutation(info, **data)
        except DomainError as exc:
            if exc.code.value not in cls.error_codes._meta.enum.__members__:
                raise
            count_field_error(GRAPHQL, exc)
            return cls(errors=error_list(exc))
