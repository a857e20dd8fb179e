"""The stream trimmer's last report, kept in Redis for ``/healthz`` and operators.

The trimmer (``exchange.retention``) sits above every domain; health sits below
them all. This module is their meeting point: the trimmer writes, health reads.
"""

from __future__ import annotations

import json
from typing import Any

from exchange.core.redis import get_redis

REPORT_KEY = "exchange:streams:trim"


def write_stream_report(report: dict[str, Any]) -> None:
    get_redis().set(REPORT_KEY, json.dumps(report, sort_keys=True))


def read_stream_report() -> dict[str, Any] | None:
    raw: Any = get_redis().get(REPORT_KEY)
    return json.loads(raw) if raw else None
