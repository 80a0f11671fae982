"""Sockets whose sign-in session has run out are closed, without a database read per message.

A session that is deleted (signing out here or elsewhere, `clearsessions`, an administrator) closes
its sockets through its user's group (fcm/live/signals.py). One that simply runs out is deleted
by nobody, so each socket remembers when its session expires (read in its opening database step)
and a pass every few seconds over this process's sockets picks those past it. Only those are
looked up again, in one query: a session kept alive since (a page saved it) moves the socket's
expiry on instead of closing it.
"""
import asyncio
import logging
import time
from datetime import UTC, datetime

from .groups import local_consumers
from .revoke import SESSION_ENDED
from .sockets import sessions_alive

log = logging.getLogger(__name__)
PERIOD_S = 5.0
_tasks = []


async def close_expired(now=None):
    """One pass at `now` (epoch seconds; the wall clock when None). Returns how many sockets it closed."""
    now = time.time() if now is None else now
    due = [c for c in local_consumers() if c.session_expires is not None and c.session_expires <= now]
    if not due:
        return 0
    alive = await sessions_alive({c.session_key for c in due}, datetime.fromtimestamp(now, UTC))
    closed = 0
    for consumer in due:
        if consumer.session_key in alive:
            consumer.session_expires = alive[consumer.session_key]
            continue
        try:
            await consumer.close_for_access(SESSION_ENDED)
            closed += 1
        except Exception:  # already closing
            pass
    return closed


async def sweep(period=PERIOD_S):
    while True:
        await asyncio.sleep(period)
        try:
            await close_expired()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database away for a moment: the next pass tries again
            log.warning("session expiry pass failed (%s)", exc.__class__.__name__)


def start_on_daphne_loop():
    """Part of `manage.py serve`'s ready callback, in every setup (each process sweeps its own sockets)."""
    from twisted.internet import reactor  # noqa: PLC0415  (late: daphne installs its asyncio reactor first)

    reactor.callWhenRunning(lambda: _tasks.append(asyncio.get_event_loop().create_task(sweep())))
