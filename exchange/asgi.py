"""ASGI entry point served by daphne: HTTP now, WebSocket routes as they land."""

import os

from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")

application = ProtocolTypeRouter({"http": get_asgi_application()})
