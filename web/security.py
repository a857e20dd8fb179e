"""The page's Content-Security-Policy: scripts, styles and connections only to this host.

Every script is a static file (no inline script, no eval), so a stolen injection
point cannot run code; the page talks only to its own REST, GraphQL and WebSocket.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

# lightweight-charts (assets/package-lock.json, 5.0.9) adds one fixed <style> element;
# its hash admits exactly that text. A new chart version prints the new hash in the
# browser console ("Applying inline style violates ...") and the browser test fails.
CHART_STYLE_HASH = "'sha256-3pRED1tOXas1FXFoPb9TGCjmYe9XQsmO9OV23khV2nY='"


def content_security_policy(request: HttpRequest) -> str:
    host = request.get_host()
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self' {CHART_STYLE_HASH}",
            "img-src 'self' data:",
            f"connect-src 'self' ws://{host} wss://{host}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "object-src 'none'",
        )
    )


def with_csp(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = content_security_policy(request)
        response["Referrer-Policy"] = "same-origin"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    return wrapped
