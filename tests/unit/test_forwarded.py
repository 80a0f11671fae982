"""The client's address behind a proxy: X-Forwarded-For believed from trusted proxies only, from the right."""
import asyncio
import re
from pathlib import Path

import pytest

from fcm.server.forwarded import LOOPBACK, ForwardedForMiddleware, networks, trusted_proxies

DEPLOY_DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy" / "README.md"


def _seen(trusted, peer, forwarded=None, proto=None, kind="http"):
    """The scope the application behind the middleware gets."""
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)

    headers = [(b"host", b"fcm.example.org")]
    if forwarded is not None:
        headers.append((b"X-Forwarded-For", forwarded.encode()))
    if proto is not None:
        headers.append((b"x-forwarded-proto", proto.encode()))
    scheme = "ws" if kind == "websocket" else "http"
    scope = {"type": kind, "client": [peer, 51000] if peer else None, "headers": headers, "scheme": scheme}
    asyncio.run(ForwardedForMiddleware(app, trusted)(scope, None, None))
    return seen


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored():
    assert _seen(LOOPBACK, "203.0.113.9", "10.0.0.1")["client"] == ["203.0.113.9", 51000]
    assert _seen((), "127.0.0.1", "10.0.0.1")["client"] == ["127.0.0.1", 51000]  # nobody is trusted by default
    assert _seen(LOOPBACK, "203.0.113.9", "10.0.0.1", proto="https")["scheme"] == "http"


def test_through_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client():
    assert _seen(LOOPBACK, "127.0.0.1", "198.51.100.23")["client"] == ["198.51.100.23", 0]
    # A proxy that appends (as $proxy_add_x_forwarded_for does) keeps what the client sent on the left.
    assert _seen(LOOPBACK, "127.0.0.1", "6.6.6.6, 198.51.100.23")["client"][0] == "198.51.100.23"
    # Proxies in a chain are skipped, from the right.
    assert _seen(["127.0.0.1", "10.0.0.0/8"], "127.0.0.1", "6.6.6.6, 198.51.100.23, 10.1.2.3")["client"][0] == \
        "198.51.100.23"
    assert _seen(LOOPBACK, "::1", "2001:db8::7")["client"][0] == "2001:db8::7"


def test_a_malformed_hop_ends_what_is_believed():
    assert _seen(LOOPBACK, "127.0.0.1", "198.51.100.23, not-an-address")["client"] == ["127.0.0.1", 51000]
    assert _seen(LOOPBACK, "127.0.0.1", "junk, 198.51.100.23")["client"][0] == "198.51.100.23"
    assert _seen(LOOPBACK, "127.0.0.1", "")["client"] == ["127.0.0.1", 51000]
    assert _seen(LOOPBACK, "127.0.0.1")["client"] == ["127.0.0.1", 51000]  # no header: the proxy itself
    assert _seen(LOOPBACK, "127.0.0.1", "127.0.0.1")["client"][0] == "127.0.0.1"  # only proxies: the leftmost


def test_the_scheme_and_websockets():
    seen = _seen(LOOPBACK, "127.0.0.1", "198.51.100.23", proto="https", kind="websocket")
    assert seen["client"][0] == "198.51.100.23" and seen["scheme"] == "wss"
    assert _seen(LOOPBACK, "127.0.0.1", proto="https")["scheme"] == "https"
    assert _seen(LOOPBACK, "127.0.0.1", proto="gopher")["scheme"] == "http"
    assert _seen(LOOPBACK, None, "198.51.100.23")["client"] is None  # a Unix socket: no peer, nothing believed


def test_a_misspelt_trusted_proxy_is_an_error_at_start():
    assert [str(n) for n in networks(["127.0.0.1", " 10.0.0.0/8 ", ""])] == ["127.0.0.1/32", "10.0.0.0/8"]
    with pytest.raises(ValueError, match="'10.0.0.300' is not an address or a network"):
        networks(["10.0.0.300"])


def test_which_proxies_are_trusted():
    assert trusted_proxies([], proxy_headers=False) == ()
    assert trusted_proxies([], proxy_headers=True) == LOOPBACK
    assert trusted_proxies(["10.0.0.5"], proxy_headers=True) == ("10.0.0.5",)
    assert trusted_proxies(["10.0.0.5"], proxy_headers=False) == ("10.0.0.5",)


def test_the_documented_nginx_overwrites_x_forwarded_for_wherever_it_proxies_to_daphne():
    nginx = re.search(r"```nginx\n(.*?)```", DEPLOY_DOC.read_text(), re.S).group(1)
    locations = re.findall(r"location (\S+) \{(.*?)\n    \}", nginx, re.S)
    proxied = [(path, body) for path, body in locations if "proxy_pass" in body]
    assert [path for path, _ in proxied] == ["/ws/", "/"]
    for path, body in proxied:
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in body, path
    assert "proxy_add_x_forwarded_for" not in nginx
