"""The WebSocket Origin check: scheme, host and port, from the request or the listed origins."""
import pytest

from fcm.live.origins import origin_allowed, parse_origin


def scope(origin, host="127.0.0.1:8000", scheme="ws", **headers):
    sent = [(b"host", host.encode())] + ([(b"origin", origin.encode())] if origin is not None else [])
    sent += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": sent}


@pytest.mark.parametrize(("value", "parsed"), [
    ("http://127.0.0.1:8000", ("http", "127.0.0.1", 8000)),
    ("HTTPS://FCM.Example.org", ("https", "fcm.example.org", 443)),
    ("http://[::1]:8000", ("http", "::1", 8000)),
    ("http://fcm.example.org/", ("http", "fcm.example.org", 80)),
    ("null", None), ("", None), ("ftp://h", None), ("http://h:99999", None), ("http://h/page", None),
    ("http://", None),
])
def test_origins_parse_with_their_default_port(value, parsed):
    assert parse_origin(value) == parsed


def test_the_pages_own_origin_only(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    assert origin_allowed(scope("http://127.0.0.1:8000"))
    assert not origin_allowed(scope("http://127.0.0.1:8001"))
    assert not origin_allowed(scope("https://127.0.0.1:8000"))
    assert not origin_allowed(scope("http://localhost:8000"))
    assert not origin_allowed(scope(None))
    assert origin_allowed(scope("https://127.0.0.1:8000", scheme="wss"))
    assert not origin_allowed(scope("http://evil.example:8000", host="evil.example:8000"))  # not an allowed host


def test_behind_tls_the_trusted_proxy_header_gives_the_scheme(settings):
    settings.ALLOWED_HOSTS = ["fcm.example.org"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert origin_allowed(scope("https://fcm.example.org", host="fcm.example.org", x_forwarded_proto="https"))
    assert not origin_allowed(scope("http://fcm.example.org", host="fcm.example.org", x_forwarded_proto="https"))
    settings.SECURE_PROXY_SSL_HEADER = None  # not trusted: the header counts for nothing
    assert not origin_allowed(scope("https://fcm.example.org", host="fcm.example.org", x_forwarded_proto="https"))


def test_listed_origins(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.FCM_ALLOWED_ORIGINS = ["https://fcm.example.org"]
    assert origin_allowed(scope("https://fcm.example.org:443", host="127.0.0.1:8001"))
    assert not origin_allowed(scope("https://fcm.example.org:8443", host="127.0.0.1:8001"))
