"""The client's address behind a reverse proxy, believed only from proxies the deployment trusts.

Rate limits, the audit log and the trainer's list of refused join attempts
count per client address (`REMOTE_ADDR`, from the ASGI scope's `client`).
Behind nginx every request comes from the proxy, which says who its client
was in `X-Forwarded-For`. daphne's own `--proxy-headers` takes the leftmost
value of that header from any peer: a client that sends its own header
chooses its address, and one that talks to daphne directly does too. So the
address is resolved here, for HTTP and WebSockets alike: the header is read
only when the peer is a trusted proxy, and then from the right, skipping
trusted proxies, to the first address none of them is (the client as the
last trusted proxy saw it). `X-Forwarded-Proto` from a trusted proxy gives
the scheme, as daphne's option did.

Trusted proxies: `FCM_TRUSTED_PROXIES` (addresses or networks, commas);
`manage.py serve --proxy-headers` without it trusts a proxy on this machine
(127.0.0.1 and ::1). Nothing is trusted otherwise.
"""
import ipaddress

#: A reverse proxy on the same machine (the documented nginx).
LOOPBACK = ("127.0.0.1", "::1")


def trusted_proxies(configured, proxy_headers):
    """The proxies to trust: those configured (`FCM_TRUSTED_PROXIES`), else this machine's when daphne
    runs behind one (`serve --proxy-headers`), else none."""
    return tuple(configured) or (LOOPBACK if proxy_headers else ())


def networks(values):
    """The trusted proxies as networks ("10.0.0.0/8", "127.0.0.1", "::1"); a bad entry raises ValueError
    naming it, so a deployment with a typo fails at start, not by trusting nobody."""
    out = []
    for value in values:
        value = value.strip()
        if value:
            try:
                out.append(ipaddress.ip_network(value, strict=False))
            except ValueError:
                raise ValueError(f"FCM_TRUSTED_PROXIES: {value!r} is not an address or a network") from None
    return tuple(out)


def _address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


class ForwardedForMiddleware:
    """ASGI middleware: replace `scope["client"]` with the forwarded client when the peer is trusted."""

    def __init__(self, inner, trusted=()):
        self.inner = inner
        self.trusted = networks(trusted)

    def is_trusted(self, address):
        return address is not None and any(address in net for net in self.trusted)

    def peer_trusted(self, scope):
        peer = scope.get("client")
        return bool(self.trusted and peer and self.is_trusted(_address(str(peer[0]))))

    def client(self, scope):
        """The client's address (a string) as the trusted proxies report it, or None to keep the peer's."""
        hops = []
        for name, value in scope.get("headers", ()):
            if name.lower() == b"x-forwarded-for":
                hops += value.decode("latin-1").split(",")
        resolved = None
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break  # a hop no proxy would write: believe nothing to its left
            resolved = str(address)
            if not self.is_trusted(address):
                break
        return resolved

    @staticmethod
    def scheme(scope):
        """The scheme the client used (X-Forwarded-Proto), as the scope names it; None when not said."""
        for name, value in scope.get("headers", ()):
            if name.lower() == b"x-forwarded-proto":
                proto = value.decode("latin-1").strip().lower()
                if proto in ("http", "https"):
                    if scope["type"] == "websocket":
                        return "wss" if proto == "https" else "ws"
                    return proto
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and self.peer_trusted(scope):
            changes = {}
            client = self.client(scope)
            if client is not None:
                changes["client"] = [client, 0]
            scheme = self.scheme(scope)
            if scheme is not None:
                changes["scheme"] = scheme
            if changes:
                scope = {**scope, **changes}
        return await self.inner(scope, receive, send)
