"""The operator admin site: Django's admin with the dashboards as pages of its own.

Installed in place of ``django.contrib.admin`` (``admin_ui.apps.OperatorAdminConfig``),
so every ``@admin.register`` lands here and each page keeps the admin's look,
login and permission checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from admin_ui import dashboards


class OperatorAdminSite(admin.AdminSite):
    site_header = "Open Exchange operations"
    site_title = "Open Exchange operations"
    index_title = "Back office"

    def _page(
        self, view: Callable[[HttpRequest, dict[str, Any]], HttpResponse]
    ) -> Callable[[HttpRequest], HttpResponse]:
        def page(request: HttpRequest) -> HttpResponse:
            return view(request, self.each_context(request))

        return self.admin_view(page)

    def get_urls(self) -> list[URLResolver | URLPattern]:
        pages = [
            path(
                "dashboards/trading/",
                self._page(dashboards.trading_dashboard),
                name="dashboard_trading",
            ),
            path(
                "dashboards/pipeline/",
                self._page(dashboards.pipeline_dashboard),
                name="dashboard_pipeline",
            ),
        ]
        return [*pages, *super().get_urls()]
