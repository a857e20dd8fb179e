"""Helpers for graphene enums."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import graphene
from django.db import models


def choices_enum(
    name: str, choices: type[models.TextChoices], description: str | None = None
) -> type[graphene.Enum]:
    """A GraphQL enum of a model's choices, named by their values."""
    return graphene.Enum(name, [(v, v) for v in choices.values], description=description)


def choice_field(enum: type[graphene.Enum], attr: str, **kwargs: Any) -> graphene.Field:
    """A field of a choices attribute: a new instance holds the Choices member, a loaded one a str."""

    def resolve(root: Any, info: graphene.ResolveInfo) -> str | None:
        value = getattr(root, attr)
        return None if value in (None, "") else str(value)

    return graphene.Field(enum, resolver=resolve, **kwargs)


def enum_value(value: Any) -> Any:
    """The plain value of an enum argument (graphene passes the enum member)."""
    return getattr(value, "value", value)


def enum_values(values: Iterable[Any] | None) -> list[Any]:
    return [enum_value(v) for v in values or ()]
