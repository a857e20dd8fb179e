"""``/fapi/...``: Binance's USDⓈ-M futures paths (v1, and the v2/v3 account reads)."""

from django.urls import path

from api.compat.binance_futures import account, general, market, orders, user_stream

urlpatterns = [
    path("v1/ping", general.PingView.as_view()),
    path("v1/time", general.TimeView.as_view()),
    path("v1/exchangeInfo", general.ExchangeInfoView.as_view()),
    path("v1/depth", market.DepthView.as_view()),
    path("v1/trades", market.TradesView.as_view()),
    path("v1/aggTrades", market.AggTradesView.as_view()),
    path("v1/klines", market.KlinesView.as_view()),
    path("v1/ticker/24hr", market.Ticker24hView.as_view()),
    path("v1/ticker/price", market.TickerPriceView.as_view()),
    path("v1/ticker/bookTicker", market.BookTickerView.as_view()),
    path("v1/openInterest", market.OpenInterestView.as_view()),
    path("v1/leverageBracket", general.LeverageBracketView.as_view()),
    path("v1/commissionRate", general.CommissionRateView.as_view()),
    path("v1/positionSide/dual", general.PositionSideDualView.as_view()),
    path("v1/marginType", general.MarginTypeView.as_view()),
    path("v1/order", orders.OrderView.as_view()),
    path("v1/allOpenOrders", orders.AllOpenOrdersView.as_view()),
    path("v1/openOrders", orders.OpenOrdersView.as_view()),
    path("v1/openOrder", orders.OpenOrderView.as_view()),
    path("v1/allOrders", orders.AllOrdersView.as_view()),
    path("v1/userTrades", orders.UserTradesView.as_view()),
    path("v1/income", account.IncomeView.as_view()),
    path("v1/leverage", account.LeverageView.as_view()),
    path("v1/positionMargin", account.PositionMarginView.as_view()),
    path("v1/listenKey", user_stream.ListenKeyView.as_view()),
    path("v2/ticker/price", market.TickerPriceView.as_view()),
    path("v2/account", account.AccountView.as_view()),
    path("v3/account", account.AccountV3View.as_view()),
    path("v2/balance", account.BalanceView.as_view()),
    path("v3/balance", account.BalanceView.as_view()),
    path("v2/positionRisk", account.PositionRiskView.as_view()),
    path("v3/positionRisk", account.PositionRiskV3View.as_view()),
]
