"""The operator admin site: Django's admin with dashboards and a second factor.

Installed in place of ``django.contrib.admin`` (``admin_ui.admin_config``), so every
``@admin.register`` lands here and each page keeps the admin's look, login and
permission checks. Staff who turned two-factor on must give a code at login
(``OperatorLoginForm``); with ``ADMIN_REQUIRE_TWO_FACTOR`` every staff member
must turn it on before any other page opens.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import URLPattern, URLResolver, path, reverse
from django.views.decorators.cache import never_cache

from admin_ui import dashboards
from admin_ui.two_factor import (
    OperatorLoginForm,
    code_owed,
    must_enrol,
    second_factor_passed,
    two_factor_page,
)

Page = Callable[[HttpRequest, dict[str, Any]], HttpResponse]
ViewT = TypeVar("ViewT", bound=Callable[..., HttpResponseBase])


class OperatorAdminSite(admin.AdminSite):
    site_header = "Open Exchange operations"
    site_title = "Open Exchange operations"
    index_title = "Back office"
    login_form = OperatorLoginForm
    login_template = "admin_ui/login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and second_factor_passed(request)

    def admin_view(self, view: ViewT, cacheable: bool = False) -> ViewT:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if request.user.is_authenticated and must_enrol(request):
                return HttpResponseRedirect(reverse("admin:two_factor"))
            return inner(request, *args, **kwargs)

        return cast(ViewT, update_wrapper(guarded, inner))

    def _page(self, view: Page) -> Callable[[HttpRequest], HttpResponse]:
        def page(request: HttpRequest) -> HttpResponse:
            return view(request, self.each_context(request))

        return self.admin_view(page)

    def _staff_page(self, view: Page) -> Callable[[HttpRequest], HttpResponse]:
        """For staff who logged in with a password but may not have a second factor
        yet: the page where they turn it on."""

        @never_cache
        def page(request: HttpRequest) -> HttpResponse:
            user = request.user
            if not (user.is_active and user.is_staff):
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if code_owed(request):
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            return view(request, self.each_context(request))

        return page

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
            path("two-factor/", self._staff_page(two_factor_page), name="two_factor"),
            # Not behind admin_view: Django's would send a session without the admin
            # permission (staff who owe a second factor) to the index instead.
            path("logout/", never_cache(self.logout), name="logout"),
        ]
        return [*pages, *super().get_urls()]
