"""``POST /fmz/<label>``: the FMZ docker's single RPC endpoint.

Body ``{access_key, secret_key, method, nonce, params}``; the key pair is
one of this exchange's HMAC API keys. Success is ``{"data": ..., "raw": ...}``,
failure ``{"error": "..."}``, both with HTTP 200 as the protocol expects.
``<label>`` is the exchange tag configured in FMZ; any value is accepted.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from api.compat.binance import ratelimit as binance_ratelimit
from api.compat.fmz import futures, methods, raw
from api.compat.fmz.errors import FmzError, error_body, rate_limited
from api.compat.fmz.render import dumps
from api.json_input import JsonInputError, loads_bounded
from api.ratelimit import count_rate_limited
from api.rest.client_ip import client_ip
from exchange.accounts.key_pair import verify_key_pair
from exchange.core.errors import DomainError

REQUIRED = ("access_key", "secret_key", "method", "params")


def _reply(payload: dict[str, Any]) -> HttpResponse:
    return HttpResponse(dumps(payload), content_type="application/json; charset=utf-8")


def _handle(request: HttpRequest) -> dict[str, Any]:
    # One weight per call from the caller IP's Binance budget (raw calls add their own).
    usage = binance_ratelimit.consume(client_ip(request), weight=1)
    if usage.exceeded:
        count_rate_limited("fmz", "ip")
        raise rate_limited(usage.retry_after)
    try:
        body = loads_bounded(request.body or b"null")
    except JsonInputError as exc:
        # too large or deep counts as not JSON
        raise FmzError("request body is not JSON", reason=exc.reason) from exc
    if not isinstance(body, dict):
        raise FmzError("request body must be a JSON object")
    absent = [name for name in REQUIRED if name not in body]
    if absent:
        raise FmzError(f"missing required parameters: {', '.join(absent)}")
    params = body["params"] if body["params"] is not None else {}
    if not isinstance(params, dict):
        raise FmzError("params must be a JSON object")
    key = verify_key_pair(
        key=str(body["access_key"]), secret=str(body["secret_key"]), client_ip=client_ip(request)
    )
    method = str(body["method"])
    path = raw.raw_path(method)
    if path is not None:
        status, answer = raw.call_own_api(
            outer=request,
            verb=request.headers.get("Http-Method", "GET"),
            path=path,
            params=params,
            key=key,
            secret=str(body["secret_key"]),
        )
        if status >= 400:
            return {"error": json.dumps(answer) if not isinstance(answer, str) else answer}
        return {"data": answer, "raw": answer}
    handler = (
        futures.METHODS.get(method) if futures.is_futures(params) else None
    ) or futures.FUTURES_ONLY.get(method, methods.METHODS.get(method))
    if handler is None:
        raise FmzError(f"invalid method: {method}")
    data, raw_answer = handler(key, params)
    return {"data": data, "raw": raw_answer}


@csrf_exempt
@require_POST
def fmz_endpoint(request: HttpRequest, label: str) -> HttpResponse:
    try:
        return _reply(_handle(request))
    except (FmzError, DomainError) as exc:
        return _reply(error_body(exc))
