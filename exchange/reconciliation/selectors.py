"""Read-only queries over the kept reconciliation results."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery

from exchange.reconciliation.models import ReconciliationResult
from exchange.wallets.models import Asset


def reconciliation_latest_per_asset() -> list[ReconciliationResult]:
    """The newest result of every asset ever checked, by asset code.

    Results pile up (one per asset every run), so the newest is looked up per asset
    on the (asset, -checked_at) index rather than by reading them all.
    """
    newest = ReconciliationResult.objects.filter(asset=OuterRef("pk")).order_by(
        "-checked_at", "-id"
    )
    ids = (
        Asset.objects.annotate(latest=Subquery(newest.values("id")[:1]))
        .filter(latest__isnull=False)
        .values_list("latest", flat=True)
    )
    return list(
        ReconciliationResult.objects.filter(id__in=list(ids))
        .select_related("asset")
        .order_by("asset__code")
    )
