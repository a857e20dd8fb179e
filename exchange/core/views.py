"""Platform endpoints that are not part of any API surface."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from exchange.core.health import price_feed_figures, run_checks, stream_figures


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Report each dependency; 503 when any is down so probes take the pod out."""
    checks = run_checks()
    healthy = all(check.ok for check in checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": {name: {"ok": c.ok, "detail": c.detail} for name, c in checks.items()},
    }
    if checks["redis"].ok:
        body["streams"] = stream_figures()
        body["price_feed"] = price_feed_figures()
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format of this web process's registry (order entry's counters).

    Keep it off the public ingress: Prometheus scrapes the pods directly.
    """
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
