"""ASGI entry point served by daphne: HTTP and the WebSocket streams.

The WebSocket routes live in the ``api.ws`` adapter, loaded by dotted path
after Django is set up (exchange never imports api).
"""

import os

from a2wsgi import WSGIMiddleware
from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")

get_asgi_application()  # sets Django up before the WSGI handler and the routes load
from django.conf import settings  # noqa: E402 - after setup
from django.core.wsgi import get_wsgi_application  # noqa: E402 - after setup

http_application = WSGIMiddleware(get_wsgi_application(), workers=settings.WEB_THREADS)

from django.utils.module_loading import import_string  # noqa: E402 - after setup

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": import_string("api.ws.routing.websocket_application"),
    }
)
