"""Counting failed attempts against guessing: sign-in passwords, one-time sign-in links, join codes.

Kept below the apps that guard a door (the console's sign-in, a training
session's join page) so that each counts the same way. The counters live
in the cache (django-ratelimit's fixed windows): a failure is counted only
when the attempt failed, and an attempt past the limit is refused before it
is even checked, with the seconds left in the window ("try again in N s"):
nothing sleeps.

The address is the client's as `REMOTE_ADDR` gives it; behind a reverse
proxy, `fcm.server.forwarded` puts the client's own there, and only when
the proxy is one the deployment trusts (`FCM_TRUSTED_PROXIES`).
"""
import ipaddress
from dataclasses import dataclass
from typing import Callable

from django_ratelimit.core import get_usage, is_ratelimited


def client_address(request, network=True):
    """The client's address as the limits count it: an IPv6 client by its /64 (one subscriber's whole
    network), as django-ratelimit's "ip" key does, unless `network` is False; "" when there is none
    (a Unix socket)."""
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR") or "")
    except ValueError:
        return ""
    if address.version == 6 and network:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def address_and_name(group, request):
    """Sign-in failures count per (address, user name): someone else's wrong passwords, from elsewhere,
    never lock an account for its owner. The name is counted whatever its case ("Maria", "maria")."""
    return f"{client_address(request)}\n{request.POST.get('username', '').strip().lower()[:150]}"


@dataclass(frozen=True)
class Limit:
    """`rate` failures ("10/10m") per `key` (django-ratelimit's: "ip", or a function of group and request)."""

    group: str
    rate: str
    key: str | Callable = "ip"


#: Wrong passwords for one user name from one address in ten minutes.
SIGN_IN_PER_ADDRESS_AND_NAME = Limit("sign-in-address-name", "10/10m", address_and_name)
#: Wrong passwords from one address, whatever the names: generous, as a classroom or an office shares one
#: address behind NAT; it stops one address from trying many names.
SIGN_IN_PER_ADDRESS = Limit("sign-in-address", "100/10m")
#: Wrong one-time sign-in links from one address (a link carries 256 random bits: this stops a flood only).
ONE_TIME_LINKS_PER_ADDRESS = Limit("one-time-link", "30/10m")


def wait_seconds(request, *limits):
    """0 while every limit still admits an attempt; else the seconds until every full one's window has
    ended (a window includes its last second, `time_left` from now). The attempt itself is not counted."""
    waits = []
    for limit in limits:
        usage = get_usage(request, group=limit.group, key=limit.key, rate=limit.rate, increment=False)
        if usage is not None and usage["count"] >= usage["limit"]:
            waits.append(max(int(usage["time_left"]) + 1, 1))
    return max(waits, default=0)


def count_failure(request, *limits):
    """One failed attempt more under each of `limits`."""
    for limit in limits:
        is_ratelimited(request, group=limit.group, key=limit.key, rate=limit.rate, increment=True)


def too_many(seconds):
    """The refusal, where the user typed: how long to wait, not how to get around it."""
    return f"Too many attempts: try again in {seconds} s."
