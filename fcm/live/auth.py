"""Who a socket belongs to, read in the consumer's own database step.

Channels' AuthMiddleware loads the user in a database step of its own
before the consumer runs; the consumer then needs a second one for its
permission check. Each step is a hop to the one thread that serves every
socket's database work in a daphne process, and a pooled connection's
health check: when a class connects at once (or reconnects after a restart)
the handshakes queue behind each other there, and past daphne's handshake
timeout the browser is turned away (bench/load.py). One step does both.
"""
from types import SimpleNamespace

from django.contrib import auth


def socket_user(scope):
    """The session's user (AnonymousUser when signed out or the password changed); synchronous."""
    user = auth.get_user(SimpleNamespace(session=scope["session"]))
    scope["user"] = user
    return user
