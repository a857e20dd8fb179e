"""The bad inputs every surface must refuse (issue 15), shared by the per-surface tables.

Numbers are given as the JSON token a client would send: a string (``'"1E+1"'``) or a
bare JSON number (``'1e309'``), so a JSON surface receives exactly these bytes. The
form-encoded surface (/api/v3) takes the strings' contents.
"""

from __future__ import annotations

import json

# Decimal() takes every one of these; the money grammar takes none.
BAD_NUMBER_TEXT = [
    "1E+1",
    "1e-2",
    "1e309",
    "١٠٠٠",  # Arabic-Indic digits
    "１０００",  # full-width digits
    "1_000",
    " 100",
    "100 ",
    "100\n",
    "sNaN",
    "NaN",
    "Infinity",
    "-Infinity",
    "+100",
    "0x10",
    "9" * 21,  # more than 20 integer digits
    "9" * 80,
    "1." + "1" * 21,
]
# JSON numbers where a decimal string is expected (1e309 overflows a float).
BAD_JSON_NUMBERS = ["100", "0.5", "1e309", "1E+1", "-1", "true", "[]", "{}"]
BAD_NUMBER_TOKENS = [json.dumps(text) for text in BAD_NUMBER_TEXT] + BAD_JSON_NUMBERS

DEPTH = 100_000
DEEP_ARRAY = "[" * DEPTH + "]" * DEPTH
DEEP_OBJECT = '{"a":' * DEPTH + "1" + "}" * DEPTH


def body_with(template: dict[str, str], field: str, token: str) -> str:
    """``template`` as JSON with ``field`` set to the raw JSON ``token``."""
    parts = [f"{json.dumps(name)}:{json.dumps(value)}" for name, value in template.items()]
    parts = [p for p in parts if not p.startswith(json.dumps(field) + ":")]
    return "{" + ",".join([*parts, f"{json.dumps(field)}:{token}"]) + "}"


# Whole bodies no surface may answer with a 5xx.
BAD_BODIES = {
    "deep array": DEEP_ARRAY,
    "deep object": DEEP_OBJECT,
    "deep value": '{"symbol":' + DEEP_ARRAY + "}",
    "NaN constant": '{"symbol": NaN}',
    "NUL in a string": '{"symbol": "BTC\\u0000USDT"}',
    "huge integer": '{"symbol": ' + "9" * 5000 + "}",
    "oversized": '{"symbol": "' + "A" * 300_000 + '"}',
    "not UTF-8": b'{"symbol": "\xff\xfe"}',
    "truncated": '{"symbol": ',
}
