"""The operator dashboards: pages of the admin site that render what
``exchange.dashboards`` computes (no query or rule of their own)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from admin_ui.amounts import format_amount
from exchange.dashboards.activity import DEFAULT_WINDOW, WINDOWS, market_activity
from exchange.dashboards.futures import futures_overview
from exchange.dashboards.pipeline import market_pipeline
from exchange.reconciliation.selectors import reconciliation_latest_per_asset
from exchange.wallets.models import Asset


def _chart_payload(activity: list[Any]) -> list[dict[str, Any]]:
    # Amounts travel as strings; the chart turns them into numbers only to draw them.
    return [
        {
            "symbol": m.symbol,
            "quote": m.quote,
            "volume": [[t, str(v)] for t, v in m.volume],
            "trades": [[t, n] for t, n in m.trades],
            "fees": {code: [[t, str(v)] for t, v in pts] for code, pts in m.fees.items()},
        }
        for m in activity
    ]


def trading_dashboard(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """Per market volume, trades and fees earned over a window (``?window=1h|24h|30d``)."""
    window = WINDOWS.get(request.GET.get("window", ""), WINDOWS[DEFAULT_WINDOW])
    activity = market_activity(window=window)
    precision = dict(Asset.objects.values_list("code", "precision"))
    totals = [
        {
            "symbol": m.symbol,
            "trades": m.total_trades,
            "volume": f"{format_amount(m.total_volume, precision[m.quote])} {m.quote}",
            "fees": [
                f"{format_amount(amount, precision[code])} {code}"
                for code, amount in m.total_fees.items()
            ],
        }
        for m in activity
    ]
    return TemplateResponse(
        request,
        "admin_ui/dashboard_trading.html",
        {
            **context,
            "title": "Trading activity",
            "window": window,
            "windows": list(WINDOWS),
            "totals": totals,
            "charts": _chart_payload(activity),
            "futures": futures_overview(),
        },
    )


def pipeline_dashboard(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """Per market stream positions and lags, dead letters, snapshots, standbys, and
    the last reconciliation of each asset."""
    return TemplateResponse(
        request,
        "admin_ui/dashboard_pipeline.html",
        {
            **context,
            "title": "Pipeline health",
            "markets": market_pipeline(),
            "reconciliation": [
                {
                    "result": r,
                    "holdings": format_amount(r.holdings, r.asset.precision),
                    "expected": format_amount(r.expected, r.asset.precision),
                }
                for r in reconciliation_latest_per_asset()
            ],
        },
    )
