"""The operator behind an admin request, as the audited action functions take it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from exchange.audit.actions import Operator


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address, trusting exactly NUM_PROXIES reverse proxies (as the API does)."""
    proxies = getattr(settings, "NUM_PROXIES", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def operator_of(request: HttpRequest, reason: str = "") -> Operator:
    return Operator(user=request.user, client_ip=client_ip(request), reason=reason)  # type: ignore[arg-type]
