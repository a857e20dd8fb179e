"""REST routes: ``/api/v1/...`` plus the OpenAPI schema and its viewers."""

from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api.rest import schema  # noqa: F401 - registers the signed-key OpenAPI scheme
from api.rest.accounts import two_factor
from api.rest.accounts import views as accounts
from api.rest.futures import views as futures
from api.rest.markets import views as markets
from api.rest.orders import lists as order_lists
from api.rest.orders import views as orders
from api.rest.wallets import views as wallets


class IdConverter:
    """A database id: 1 to 18 digits, so it always fits a 64-bit column."""

    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")


class RedocView(SpectacularRedocView):
    """ReDoc from drf-spectacular-sidecar's bundle, without web fonts from another host."""

    template_name = "rest/redoc.html"


v1 = [
    path("auth/register", accounts.RegisterView.as_view(), name="register"),
    path("auth/login", accounts.LoginView.as_view(), name="login"),
    path("auth/logout", accounts.LogoutView.as_view(), name="logout"),
    path("auth/session", accounts.SessionView.as_view(), name="session"),
    path("user-data-stream", accounts.UserDataStreamView.as_view(), name="user-data-stream"),
    path(
        "user-data-stream/<str:listen_key>",
        accounts.UserDataStreamKeyView.as_view(),
        name="user-data-stream-key",
    ),
    path("me", accounts.MeView.as_view(), name="me"),
    path("two-factor", two_factor.TwoFactorView.as_view(), name="two-factor"),
    path(
        "two-factor/enrolment",
        two_factor.TwoFactorEnrolmentView.as_view(),
        name="two-factor-enrolment",
    ),
    path(
        "two-factor/enrolment/confirm",
        two_factor.TwoFactorConfirmView.as_view(),
        name="two-factor-confirm",
    ),
    path(
        "two-factor/disable", two_factor.TwoFactorDisableView.as_view(), name="two-factor-disable"
    ),
    path("api-keys", accounts.ApiKeyListView.as_view(), name="api-keys"),
    path("api-keys/<id:api_key_id>", accounts.ApiKeyDetailView.as_view(), name="api-key"),
    path("balances", wallets.BalanceListView.as_view(), name="balances"),
    path("ledger", wallets.LedgerView.as_view(), name="ledger"),
    path("deposits", wallets.DepositListView.as_view(), name="deposits"),
    path("chain-deposits", wallets.ChainDepositListView.as_view(), name="chain-deposits"),
    path("deposit-address", wallets.DepositAddressView.as_view(), name="deposit-address"),
    path("test-deposits", wallets.TestDepositView.as_view(), name="test-deposits"),
    path("withdrawals", wallets.WithdrawalListView.as_view(), name="withdrawals"),
    path(
        "withdrawals/<id:withdrawal_id>/cancel",
        wallets.WithdrawalCancelView.as_view(),
        name="withdrawal-cancel",
    ),
    path("markets", markets.MarketListView.as_view(), name="markets"),
    path("markets/<str:symbol>", markets.MarketDetailView.as_view(), name="market"),
    path("markets/<str:symbol>/ticker", markets.TickerView.as_view(), name="ticker"),
    path("markets/<str:symbol>/depth", markets.DepthView.as_view(), name="depth"),
    path("markets/<str:symbol>/trades", markets.PublicTradesView.as_view(), name="public-trades"),
    path("markets/<str:symbol>/klines", markets.KlineView.as_view(), name="klines"),
    path("orders", orders.OrderListView.as_view(), name="orders"),
    path("orders/by-client-id", orders.OrderByClientIdView.as_view(), name="order-by-client-id"),
    path(
        "orders/by-client-id/cancel",
        orders.OrderCancelByClientIdView.as_view(),
        name="order-cancel-by-client-id",
    ),
    path("orders/batch", orders.OrderBatchView.as_view(), name="orders-batch"),
    path(
        "orders/countdown-cancel-all",
        orders.CancelCountdownView.as_view(),
        name="orders-countdown-cancel-all",
    ),
    path("orders/cancel-all", orders.OrderCancelAllView.as_view(), name="orders-cancel-all"),
    path("orders/<id:order_id>", orders.OrderDetailView.as_view(), name="order"),
    path("orders/<id:order_id>/cancel", orders.OrderCancelView.as_view(), name="order-cancel"),
    path("orders/<id:order_id>/replace", orders.OrderReplaceView.as_view(), name="order-replace"),
    path("orders/<id:order_id>/amend", orders.OrderAmendView.as_view(), name="order-amend"),
    path("order-lists/oco", order_lists.OcoView.as_view(), name="order-lists-oco"),
    path("order-lists/<id:list_id>", order_lists.OrderListDetailView.as_view(), name="order-list"),
    path(
        "order-lists/<id:list_id>/cancel",
        order_lists.OrderListCancelView.as_view(),
        name="order-list-cancel",
    ),
    path("my-trades", orders.MyTradeListView.as_view(), name="my-trades"),
    path("futures/contracts", futures.ContractListView.as_view(), name="futures-contracts"),
    path(
        "futures/contracts/<str:symbol>",
        futures.ContractDetailView.as_view(),
        name="futures-contract",
    ),
    path(
        "futures/contracts/<str:symbol>/premium",
        futures.PremiumView.as_view(),
        name="futures-premium",
    ),
    path(
        "futures/contracts/<str:symbol>/funding-rates",
        futures.FundingRateView.as_view(),
        name="futures-funding-rates",
    ),
    path("futures/orders", futures.FuturesOrderListView.as_view(), name="futures-orders"),
    path(
        "futures/orders/<id:order_id>",
        futures.FuturesOrderDetailView.as_view(),
        name="futures-order",
    ),
    path(
        "futures/orders/<id:order_id>/cancel",
        futures.FuturesOrderCancelView.as_view(),
        name="futures-order-cancel",
    ),
    path("futures/positions", futures.PositionListView.as_view(), name="futures-positions"),
    path("futures/account", futures.FuturesAccountView.as_view(), name="futures-account"),
    path("futures/leverage", futures.LeverageView.as_view(), name="futures-leverage"),
    path("futures/margin-type", futures.MarginTypeView.as_view(), name="futures-margin-type"),
    path(
        "futures/isolated-margin",
        futures.IsolatedMarginView.as_view(),
        name="futures-isolated-margin",
    ),
    path(
        "futures/liquidations", futures.LiquidationListView.as_view(), name="futures-liquidations"
    ),
    path("futures/transfers", futures.TransferListView.as_view(), name="futures-transfers"),
    path("futures/income", futures.IncomeView.as_view(), name="futures-income"),
    path("futures/my-trades", futures.FuturesTradeListView.as_view(), name="futures-my-trades"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger"),
    path("redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
]
