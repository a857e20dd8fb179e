"""Validated input of a request: one serializer for the body or the query string."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


def valid(serializer: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """The serializer's validated data; 400 ``INVALID_INPUT`` with per-field errors otherwise."""
    parsed = serializer(data=data)
    parsed.is_valid(raise_exception=True)
    return dict(parsed.validated_data)
