"""The web trading page: ``/``, ``/trade/<symbol>``, wallet, API keys, sign-in.

Futures pages will sit beside the spot ones as ``/futures/<symbol>``.
"""

from django.urls import path

from web import views

app_name = "web"

urlpatterns = [
    path("", views.markets, name="markets"),
    path("trade", views.trade, name="trade-default"),
    path("trade/<str:symbol>", views.trade, name="trade"),
    path("wallet", views.wallet, name="wallet"),
    path("account/api-keys", views.api_keys, name="api-keys"),
    path("account/security", views.security, name="security"),
    path("login", views.sign_in, name="login"),
    path("signup", views.sign_up, name="signup"),
]
