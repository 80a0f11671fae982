"""A WebSocket opens only from this site's own pages: the Origin's scheme, host and port must match.

WebSockets bypass CSRF, so the Origin check is their CSRF defence. Channels' AllowedHostsOriginValidator
compares only the host with ALLOWED_HOSTS, so a page served from another port of the same name, or
over plain HTTP beside an HTTPS site, could open sockets with the user's cookie. Here an Origin is
accepted when it is one of `FCM_ALLOWED_ORIGINS` (scheme://host[:port], for a proxy that rewrites
the Host header), or when it is the request's own origin: the scheme the socket came in on (wss is
https; behind TLS, the proxy's X-Forwarded-Proto where SECURE_PROXY_SSL_HEADER trusts it, as
Django's `request.is_secure()`), and the Host header's name (one of ALLOWED_HOSTS) and port. A
browser always sends the Origin of the page; so `make run` and test servers on any port pass
without configuration.
"""
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origin(value):
    """(scheme, host, port) of an origin such as "https://fcm.example.org", the port filled in; None if malformed."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/") or parts.query:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def served_scheme(scope, headers):
    """http or https: what the browser used to reach this site (for the socket: ws or wss)."""
    trusted = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if trusted:
        name, secure_value = trusted
        sent = headers.get(name.removeprefix("HTTP_").replace("_", "-").lower().encode())
        if sent is not None:
            return "https" if sent.decode("latin1").split(",", 1)[0].strip() == secure_value else "http"
    return "https" if scope.get("scheme") == "wss" else "http"


def own_origin(scope, headers):
    """The request's origin as (scheme, host, port), from its Host header; None when the host is not allowed."""
    host = headers.get(b"host", b"").decode("latin1")
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return parse_origin(f"{served_scheme(scope, headers)}://{host}")


def origin_allowed(scope):
    headers = dict(scope.get("headers", ()))
    origin = headers.get(b"origin")
    if origin is None:
        return False
    origin = parse_origin(origin.decode("latin1"))
    if origin is None:
        return False
    listed = {parse_origin(o) for o in getattr(settings, "FCM_ALLOWED_ORIGINS", ())}
    return origin in listed or origin == own_origin(scope, headers)


class OriginValidator:
    """ASGI middleware: refuse the handshake unless `origin_allowed`."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
