"""The web trading page: ``/``, ``/trade/<symbol>``, ``/futures/<symbol>`` (the
perpetuals), wallet, API keys, sign-in."""

from django.urls import path

from web import views

app_name = "web"

urlpatterns = [
    path("", views.markets, name="markets"),
    path("trade", views.trade, name="trade-default"),
    path("trade/<str:symbol>", views.trade, name="trade"),
    path("futures", views.futures, name="futures-default"),
    path("futures/<str:symbol>", views.futures, name="futures"),
    path("wallet", views.wallet, name="wallet"),
    path("account/api-keys", views.api_keys, name="api-keys"),
    path("account/security", views.security, name="security"),
    path("login", views.sign_in, name="login"),
    path("signup", views.sign_up, name="signup"),
]
