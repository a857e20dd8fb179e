"""LOG_FORMAT=json writes one JSON object per line carrying the request's id."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client

from exchange.core.request_id import logging_config


@pytest.fixture
def json_logging() -> Iterator[io.StringIO]:
    """The console handler of LOG_FORMAT=json, writing to a buffer instead of stderr."""
    logging.config.dictConfig(logging_config(log_format="json", level="INFO"))
    (handler,) = logging.getLogger().handlers
    out = io.StringIO()
    handler.setStream(out)  # type: ignore[attr-defined]
    try:
        yield out
    finally:
        logging.config.dictConfig(settings.LOGGING)


def json_lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.django_db
def test_a_request_logs_json_with_the_id_it_answers_with(json_logging):
    response = Client().get("/api/v1/nowhere", HTTP_X_REQUEST_ID="trace-0123456789")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "trace-0123456789"
    (line,) = [r for r in json_lines(json_logging) if r["logger"] == "django.request"]
    assert line["request_id"] == "trace-0123456789"
    assert line["level"] == "WARNING"
    assert "Not Found: /api/v1/nowhere" in str(line["message"])


@pytest.mark.django_db
def test_a_request_without_a_usable_id_gets_a_new_one(json_logging):
    first = Client().get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")
    second = Client().get("/healthz")
    ids = {first["X-Request-ID"], second["X-Request-ID"]}
    assert len(ids) == 2 and all(len(i) == 32 for i in ids)


def test_lines_outside_a_request_have_a_dash(json_logging):
    logging.getLogger("exchange.test").warning("sweeper: re-sending %d", 2)
    (line,) = json_lines(json_logging)
    assert line["request_id"] == "-"
    assert line["message"] == "sweeper: re-sending 2"
    assert {"time", "level", "logger"} <= set(line)


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logging_config(log_format="xml", level="INFO")
