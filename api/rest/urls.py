"""REST routes: ``/api/v1/...`` plus the OpenAPI schema and its viewers."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api.rest import schema  # noqa: F401 - registers the signed-key OpenAPI scheme
from api.rest.accounts import views as accounts
from api.rest.wallets import views as wallets

v1 = [
    path("auth/register", accounts.RegisterView.as_view(), name="register"),
    path("auth/login", accounts.LoginView.as_view(), name="login"),
    path("auth/logout", accounts.LogoutView.as_view(), name="logout"),
    path("me", accounts.MeView.as_view(), name="me"),
    path("api-keys", accounts.ApiKeyListView.as_view(), name="api-keys"),
    path("api-keys/<int:api_key_id>", accounts.ApiKeyDetailView.as_view(), name="api-key"),
    path("balances", wallets.BalanceListView.as_view(), name="balances"),
    path("withdrawals", wallets.WithdrawalListView.as_view(), name="withdrawals"),
    path(
        "withdrawals/<int:withdrawal_id>/cancel",
        wallets.WithdrawalCancelView.as_view(),
        name="withdrawal-cancel",
    ),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]
