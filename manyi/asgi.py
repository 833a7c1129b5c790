"""ASGI entry point (not the default: WSGI measured faster here, see DESIGN.md)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "manyi.settings")
application = get_asgi_application()
