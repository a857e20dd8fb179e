"""The REST API's JSON parser: DRF's, bounded in size and depth before parsing."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from api.json_input import MAX_JSON_BYTES, JsonInputError, loads_bounded
from api.refusals import count_refusal, surface_of


class BoundedJSONParser(JSONParser):
    """400 ``MALFORMED_REQUEST`` for a body too large, too deep, with NUL or NaN,
    where the stock parser raised RecursionError (a 500) on deep nesting."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return loads_bounded(stream.read(MAX_JSON_BYTES + 1))
        except JsonInputError as exc:
            request = (parser_context or {}).get("request")
            count_refusal(surface_of(request.path if request else ""), exc.reason)
            raise ParseError(f"JSON parse error - {exc}") from exc
