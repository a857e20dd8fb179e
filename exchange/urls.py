"""Root URLconf. Adapters are included by dotted path: exchange never imports api."""

from django.contrib import admin
from django.urls import include, path

from exchange.core.views import healthz, metrics

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v3/", include("api.compat.binance.urls")),
    path("sapi/v1/", include("api.compat.binance.sapi_urls")),
    path("fapi/", include("api.compat.binance_futures.urls")),
    path("", include("api.compat.binance.derivatives_info")),
    path("fmz/", include("api.compat.fmz.urls")),
    path("api/v1/", include("api.compat.binance.legacy_urls")),
    path("api/", include("api.rest.urls")),
    path("graphql", include("api.graphql.urls")),
    path("", include("web.urls")),
]

handler404 = "api.rest.errors.not_found"
