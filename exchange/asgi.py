"""ASGI entry point served by daphne: HTTP and the WebSocket streams.

HTTP requests run through Django's WSGI handler on ``WEB_THREADS`` persistent threads
(a2wsgi), so each thread keeps its database and Redis connections and several requests
of one process wait on them at once; Django's ASGI handler would start a thread, and so
open both connections, per request (ADR 0057). The WebSocket routes live in the
``api.ws`` adapter, loaded by dotted path after Django is set up (exchange never
imports api).
"""

import os
from typing import cast

import django
from a2wsgi import WSGIMiddleware
from a2wsgi.wsgi_typing import WSGIApp
from channels.routing import ProtocolTypeRouter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402 - after setup
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402 - after setup
from django.utils.module_loading import import_string  # noqa: E402 - after setup

# An HttpResponse is the iterable of bytes WSGI asks for; django-stubs type it as itself.
django_wsgi = cast(WSGIApp, WSGIHandler())

application = ProtocolTypeRouter(
    {
        "http": WSGIMiddleware(django_wsgi, workers=settings.WEB_THREADS),
        "websocket": import_string("api.ws.routing.websocket_application"),
    }
)
