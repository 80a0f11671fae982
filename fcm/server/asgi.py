"""ASGI entry point: HTTP to Django, WebSockets through origin and session checks, both behind the
client address resolution of trusted proxies (forwarded.py).

`get_asgi_application()` must run before anything imports models, so the
WebSocket routing is imported after it.
"""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fcm.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402
from django.conf import settings  # noqa: E402

from fcm.live.origins import OriginValidator  # noqa: E402
from fcm.live.routing import websocket_urlpatterns  # noqa: E402

from .forwarded import ForwardedForMiddleware  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # WebSockets bypass CSRF: the Origin check (scheme, host and port: fcm/live/origins.py) is the
        # CSRF defence here. Each consumer reads the session's user in its own database step, with its
        # permission check (fcm/live/auth.py).
        "websocket": OriginValidator(
            SessionMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

#: `manage.py serve` wraps `router` itself, adding a proxy on this machine with --proxy-headers (serve.py).
application = ForwardedForMiddleware(router, trusted=settings.FCM_TRUSTED_PROXIES)
