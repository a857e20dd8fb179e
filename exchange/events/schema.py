"""Check a decoded event against its ``TypedDict`` schema (keys, and the type of each value).

Used by the tests on both sides of a channel: what a producer sends must
pass, and what a consumer accepts is exactly what passes. Hot paths do not
call it: a message is checked where it is tested, not every time it is sent.
"""

from __future__ import annotations

import types
from typing import (
    Any,
    Literal,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)


class EventSchemaError(ValueError):
    """An event that does not have its schema's shape; the message names the path."""


def check(schema: Any, value: Any, path: str = "event") -> None:
    """Raise ``EventSchemaError`` unless ``value`` (decoded JSON) has the shape ``schema`` says."""
    origin = get_origin(schema)
    if origin in (Required, NotRequired):
        check(get_args(schema)[0], value, path)
    elif is_typeddict(schema):
        _check_dict(schema, value, path)
    elif origin is list:
        if not isinstance(value, list):
            raise EventSchemaError(f"{path}: a list expected, got {value!r}")
        for i, item in enumerate(value):
            check(get_args(schema)[0], item, f"{path}[{i}]")
    elif origin is tuple:
        items = get_args(schema)
        if not isinstance(value, list | tuple) or len(value) != len(items):
            raise EventSchemaError(f"{path}: {len(items)} items expected, got {value!r}")
        for i, (item_schema, item) in enumerate(zip(items, value, strict=True)):
            check(item_schema, item, f"{path}[{i}]")
    elif origin in (Union, types.UnionType):
        for option in get_args(schema):
            try:
                check(option, value, path)
                return
            except EventSchemaError:
                continue
        raise EventSchemaError(f"{path}: {value!r} is none of {schema}")
    elif origin is Literal:
        if value not in get_args(schema):
            raise EventSchemaError(f"{path}: {value!r} is not one of {get_args(schema)}")
    elif schema is type(None):
        if value is not None:
            raise EventSchemaError(f"{path}: null expected, got {value!r}")
    elif schema is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise EventSchemaError(f"{path}: an integer expected, got {value!r}")
    elif schema in (str, bool):
        if not isinstance(value, schema):
            raise EventSchemaError(f"{path}: {schema.__name__} expected, got {value!r}")
    else:
        raise TypeError(f"{path}: no check for {schema!r}")


def _check_dict(schema: Any, value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise EventSchemaError(f"{path}: an object expected, got {value!r}")
    hints = get_type_hints(schema, include_extras=True)
    # Under postponed annotations ``__required_keys__`` misses ``NotRequired``; the hints do not.
    required = {
        key
        for key, hint in hints.items()
        if get_origin(hint) is Required
        or (key in schema.__required_keys__ and get_origin(hint) is not NotRequired)
    }
    missing = sorted(required - value.keys())
    unknown = sorted(value.keys() - hints.keys())
    if missing or unknown:
        raise EventSchemaError(f"{path}: missing keys {missing}, unknown keys {unknown}")
    for key, item in value.items():
        check(hints[key], item, f"{path}.{key}")
