"""WSGI entry point (management tooling; production serves ASGI via daphne)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")

application = get_wsgi_application()
