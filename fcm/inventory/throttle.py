"""Counting failed attempts against guessing: sign-in passwords, one-time sign-in links, join codes.

Kept below the apps that guard a door (the console's sign-in, a training
session's join page) so that each counts the same way. The counters live
in the cache (django-ratelimit's fixed windows): a failure is counted only
when the attempt failed, and an attempt past the limit is refused before it
is even checked.
"""
from django_ratelimit.core import get_usage, is_ratelimited

#: Failed sign-ins allowed per address in ten minutes (a classroom shares one address), and per user name.
SIGN_IN_FAILURES_PER_ADDRESS = "30/10m"
SIGN_IN_FAILURES_PER_NAME = "10/10m"


def failures_exceeded(request, group, rate, key="ip"):
    """True once as many failed attempts as `rate` allows (counted by `count_failure`) were made in its
    window; this attempt is not counted."""
    usage = get_usage(request, group=group, key=key, rate=rate, increment=False)
    return usage is not None and usage["count"] >= usage["limit"]


def count_failure(request, group, rate, key="ip"):
    is_ratelimited(request, group=group, key=key, rate=rate, increment=True)
