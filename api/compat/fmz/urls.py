"""``/fmz/<label>``: one RPC endpoint per exchange tag configured in FMZ."""

from django.urls import path

from api.compat.fmz.views import fmz_endpoint

urlpatterns = [
    path("<str:label>", fmz_endpoint),
]
