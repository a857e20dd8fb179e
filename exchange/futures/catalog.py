"""Read-only queries of the listed contracts, for every surface that lists them."""

from __future__ import annotations

from django.db.models import QuerySet

from exchange.futures.models import Contract


def contract_list() -> QuerySet[Contract]:
    return Contract.objects.select_related("base_asset", "quote_asset", "margin_asset").order_by(
        "symbol"
    )
