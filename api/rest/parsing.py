"""Validated input of a request: one serializer for the body or the query string."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request


def valid(serializer: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """The serializer's validated data; 400 ``INVALID_INPUT`` with per-field errors otherwise."""
    parsed = serializer(data=data)
    parsed.is_valid(raise_exception=True)
    return dict(parsed.validated_data)


def valid_query(serializer: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The query string validated strictly: each parameter once, and an empty value is a
    value (``?limit=`` is invalid, not absent)."""
    declared = serializer().fields
    repeated = {
        name: ["Send this parameter once."]
        for name, values in request.query_params.lists()
        if name in declared and len(values) > 1
    }
    if repeated:
        raise serializers.ValidationError(repeated)
    return valid(serializer, request.query_params.dict())
