import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmsp.settings")
django_application = get_asgi_application()

# Heartbeat pings bypass Django's middleware chain (see openmsp/heartbeats/asgi_ping.py).
from openmsp.heartbeats.asgi_ping import with_pings  # noqa: E402  (needs Django set up)

application = with_pings(django_application)
