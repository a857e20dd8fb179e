"""``exchange.IO("api", verb, path, query)``: a raw call routed to our own ``/api/`` views.

The docker sends ``method = "__api_<path>"`` (or ``"_api<path>"``), the
verb in the ``Http-Method`` header and the decoded query as ``params``.
The call is signed with the caller's own verified key pair, exactly as a
Binance client would sign it, and dispatched in-process to the view that
serves the path, so every rule, weight and error code applies unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
from typing import Any
from urllib.parse import urlencode

from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest
from django.urls import Resolver404, resolve

from api.compat.fmz.errors import FmzError
from exchange.accounts.models import ApiKey

PREFIXES = ("__api_", "_api")
VERBS = ("GET", "POST", "PUT", "DELETE")


def raw_path(method: str) -> str | None:
    """The path of a raw-call method name, None for the named methods."""
    for prefix in PREFIXES:
        if method.startswith(prefix):
            path = method[len(prefix) :]
            return path if path.startswith("/") else "/" + path
    return None


def call_own_api(
    *,
    outer: HttpRequest,
    verb: str,
    path: str,
    params: dict[str, Any],
    key: ApiKey,
    secret: str,
) -> tuple[int, Any]:
    """Dispatch a signed request for ``path`` to our own view; (HTTP status, parsed body)."""
    verb = (verb or "GET").upper()
    if verb not in VERBS:
        raise FmzError(f"invalid Http-Method {verb!r}; use one of {', '.join(VERBS)}")
    if not path.startswith("/api/"):
        raise FmzError(f"raw calls are limited to /api/ paths, not {path!r}")
    try:
        match = resolve(path)
    except Resolver404 as exc:
        raise FmzError(f"unknown path {path!r}") from exc
    fields = [(name, _text(value)) for name, value in params.items()]
    fields.append(("timestamp", str(int(time.time() * 1000))))
    payload = urlencode(fields)
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    signed = f"{payload}&signature={signature}"
    body = signed.encode() if verb in ("POST", "PUT") else b""
    request = WSGIRequest(
        {
            "REQUEST_METHOD": verb,
            "PATH_INFO": path,
            "QUERY_STRING": "" if body else signed,
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_X_MBX_APIKEY": key.key,
            "REMOTE_ADDR": outer.META.get("REMOTE_ADDR", ""),
            "HTTP_X_FORWARDED_FOR": outer.META.get("HTTP_X_FORWARDED_FOR", ""),
            "SERVER_NAME": outer.META.get("SERVER_NAME", "localhost"),
            "SERVER_PORT": outer.META.get("SERVER_PORT", "80"),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
        }
    )
    response = match.func(request, *match.args, **match.kwargs)
    if hasattr(response, "render"):
        response.render()
    content = response.content.decode("utf-8", errors="replace")
    try:
        return response.status_code, json.loads(content) if content else None
    except json.JSONDecodeError:
        return response.status_code, content


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
