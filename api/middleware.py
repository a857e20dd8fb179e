"""Requests refused before any view: a NUL character in the path, query or form body.

PostgreSQL refuses NUL in text, so ``/api/v1/markets/%00/depth`` reached the
symbol lookup and ended in a 500. No parameter of any surface may hold a NUL,
so the request is refused as a whole, in the error shape of the surface it
addressed. (JSON bodies are checked by ``api.json_input``.)
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from api.compat.binance.errors import BinanceError
from api.refusals import count_refusal, surface_of
from api.rest.errors import error_body

FORM = "application/x-www-form-urlencoded"
NUL_DETAIL = "A NUL character is not allowed in a request."


def has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    if request.content_type == FORM and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        return b"%00" in request.body
    return False


def refusal(path: str) -> HttpResponse:
    """A 400 in the addressed surface's own error shape."""
    count_refusal(surface_of(path), "NUL")
    if path.startswith("/api/v3/"):
        return JsonResponse(
            BinanceError(-1100, "Illegal characters found in a parameter.").body(), status=400
        )
    if path.startswith("/graphql"):
        body = {"errors": [{"message": NUL_DETAIL, "extensions": {"code": "MALFORMED_REQUEST"}}]}
        return JsonResponse(body, status=400)
    if path.startswith("/fmz/"):
        return JsonResponse({"error": f"MALFORMED_REQUEST: {NUL_DETAIL}"})  # FMZ: always 200
    return JsonResponse(error_body("MALFORMED_REQUEST", NUL_DETAIL), status=400)


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_nul(request):
            return refusal(request.path)
        return self.get_response(request)
