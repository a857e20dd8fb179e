"""The operator dashboards: pages of the admin site that render what
``exchange.dashboards`` computes (no query or rule of their own)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from admin_ui.amounts import format_amount
from exchange.dashboards.activity import DEFAULT_WINDOW, WINDOWS, MarketActivity, market_activity
from exchange.dashboards.futures import futures_overview
from exchange.dashboards.lag_history import HISTORY_SAMPLES, lag_history
from exchange.dashboards.pipeline import market_pipeline
from exchange.reconciliation.selectors import reconciliation_latest_per_asset
from exchange.wallets.models import Asset


def _chart_payload(kind: str, activity: list[MarketActivity]) -> list[dict[str, Any]]:
    # Amounts travel as strings; the chart turns them into numbers only to draw them.
    return [
        {
            "key": f"{kind}:{m.symbol}",
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
    futures = futures_overview(window=window)
    precision = dict(Asset.objects.values_list("code", "precision"))

    def amount(value: Decimal, code: str) -> str:
        return f"{format_amount(value, precision[code])} {code}"

    def totals(rows: list[MarketActivity]) -> list[dict[str, Any]]:
        return [
            {
                "key": m.symbol,
                "symbol": m.symbol,
                "trades": m.total_trades,
                "volume": amount(m.total_volume, m.quote),
                "fees": [amount(v, code) for code, v in m.total_fees.items()],
            }
            for m in rows
        ]

    charts = _chart_payload("spot", activity)
    contracts = []
    if futures is not None:
        charts += _chart_payload("perp", futures.activity)
        open_interest = {c.symbol: c for c in futures.contracts}
        contracts = [
            {
                **row,
                "status": open_interest[row["symbol"]].status,
                "open_interest": f"{open_interest[row['symbol']].open_interest.normalize():f}"
                f" {open_interest[row['symbol']].base}",
            }
            for row in totals(futures.activity)
        ]
    return TemplateResponse(
        request,
        "admin_ui/dashboard_trading.html",
        {
            **context,
            "title": "Trading activity",
            "window": window,
            "windows": list(WINDOWS),
            "totals": totals(activity),
            "charts": charts,
            "futures": futures,
            "contracts": contracts,
            "insurance_fund": [
                amount(v, code) for code, v in (futures.insurance_fund if futures else {}).items()
            ],
        },
    )


def pipeline_dashboard(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """Per market stream positions and lags (now and their sampled history), dead
    letters, snapshots, standbys, and the last reconciliation of each asset."""
    markets = market_pipeline()
    history = lag_history()
    return TemplateResponse(
        request,
        "admin_ui/dashboard_pipeline.html",
        {
            **context,
            "title": "Pipeline health",
            "markets": markets,
            "lag_history": history,
            "lag_symbols": [m.symbol for m in markets if m.symbol in history],
            "lag_samples": HISTORY_SAMPLES,
            "lag_sample_every_s": settings.CELERY_BEAT_SCHEDULE["pipeline-lag-sampler"]["schedule"],
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
