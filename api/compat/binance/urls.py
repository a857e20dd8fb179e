"""``/api/v3/...``: Binance's spot REST paths."""

from django.urls import path

from api.compat.binance import (
    account,
    amend,
    cancel_replace,
    general,
    market,
    order_lists,
    orders,
    user_stream,
)

urlpatterns = [
    path("ping", general.PingView.as_view()),
    path("time", general.TimeView.as_view()),
    path("exchangeInfo", general.ExchangeInfoView.as_view()),
    path("depth", market.DepthView.as_view()),
    path("trades", market.TradesView.as_view()),
    path("historicalTrades", market.HistoricalTradesView.as_view()),
    path("aggTrades", market.AggTradesView.as_view()),
    path("klines", market.KlinesView.as_view()),
    path("avgPrice", market.AvgPriceView.as_view()),
    path("ticker/24hr", market.Ticker24hView.as_view()),
    path("ticker/price", market.TickerPriceView.as_view()),
    path("ticker/bookTicker", market.BookTickerView.as_view()),
    path("order", orders.OrderView.as_view()),
    path("order/test", orders.OrderTestView.as_view()),
    path("order/amend/keepPriority", amend.AmendKeepPriorityView.as_view()),
    path("order/amendments", amend.OrderAmendmentsView.as_view()),
    path("order/cancelReplace", cancel_replace.CancelReplaceView.as_view()),
    path("order/oco", order_lists.LegacyOcoView.as_view()),
    path("orderList/oco", order_lists.OcoView.as_view()),
    path("orderList", order_lists.OrderListView.as_view()),
    path("allOrderList", order_lists.AllOrderListView.as_view()),
    path("openOrderList", order_lists.OpenOrderListView.as_view()),
    path("openOrders", orders.OpenOrdersView.as_view()),
    path("allOrders", orders.AllOrdersView.as_view()),
    path("account", account.AccountView.as_view()),
    path("account/commission", account.CommissionView.as_view()),
    path("myTrades", account.MyTradesView.as_view()),
    path("userDataStream", user_stream.UserDataStreamView.as_view()),
]
