"""``/sapi/v1/...``: Binance's wallet (capital) and margin-pair paths."""

from django.urls import path

from api.compat.binance import capital, margin_pairs
from api.compat.binance_futures import transfer

urlpatterns = [
    path("capital/config/getall", capital.CapitalConfigView.as_view()),
    path("capital/deposit/address", capital.DepositAddressView.as_view()),
    path("capital/deposit/hisrec", capital.DepositHistoryView.as_view()),
    path("capital/withdraw/apply", capital.WithdrawApplyView.as_view()),
    path("capital/withdraw/history", capital.WithdrawHistoryView.as_view()),
    path("asset/transfer", transfer.AssetTransferView.as_view()),
    path("margin/allPairs", margin_pairs.CrossMarginPairsView.as_view()),
    path("margin/isolated/allPairs", margin_pairs.IsolatedMarginPairsView.as_view()),
]
