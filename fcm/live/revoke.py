"""Closing the sockets of someone whose access changed, in every process that serves them.

A socket is checked once, when it opens (fcm/live/auth.py). What changes afterwards (signing out,
a lab's members, a training session's end, a lab removed) reaches the open sockets as a message to
their user's group or their lab's group (fcm/live/groups.py), sent once the change is committed: a
socket told earlier could check again and still see the old state. It goes through the channel
layer, so with Redis every daphne process's sockets get it, with the in-memory layer the process's
own. The close code is one htmx's socket extension does not reconnect after; the page shows the
reason instead (static/fcm/console.js).
"""
import logging
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.urls import reverse

from .groups import lab_group, user_group

log = logging.getLogger(__name__)

#: Closed for access: no reconnect (htmx reconnects only after 1006, 1011, 1012 and 1013).
CLOSED_FOR_ACCESS = 4403

NO_ACCESS = "You no longer have access to this lab. Reload the page."
NO_DASHBOARD = "You no longer have access to this dashboard. Reload the page."
SIGNED_OUT = "You have signed out. Reload the page to sign in again."
SESSION_ENDED = "Your sign-in session has ended. Reload the page to sign in again."
TRAINING_ENDED = "The training session has ended. Reload the page."
LAB_REMOVED = "This lab has been removed. Open the list of labs."


def close_user(user_id, reason, session_key=None):
    """Close the user's sockets; only those of one sign-in session when `session_key` is given."""
    _send(user_group(user_id), {"type": "access.close", "reason": reason, "session": session_key})


def recheck_user(user_id, lab_id):
    """The user's sockets on the lab check again whether the user still sees it; those that do not close.

    A check rather than a close: someone removed from the members may still see the lab another way
    (an administrator, the trainer of its trainee)."""
    _send(user_group(user_id), {"type": "access.recheck", "lab": int(lab_id)})


def close_lab(lab_id, reason):
    """Close every socket on the lab, whoever's; their page offers the list of labs (a reload would be a 404;
    a trainee whose lab was reset finds the new one there)."""
    _send(lab_group(lab_id), {"type": "access.close", "reason": reason, "session": None,
                              "next": reverse("console:lab-list")})


#: Labs about to be removed because a fresh copy replaces them (a reset), per thread: their removal
#: closes nothing (the reset notice pushed to their consoles leads to the new lab).
_replacing = threading.local()


def spare_lab(lab_id):
    if not hasattr(_replacing, "ids"):
        _replacing.ids = set()
    _replacing.ids.add(int(lab_id))


def spared(lab_id):
    """True, once, for a lab `spare_lab` named (its removal is a replacement)."""
    ids = getattr(_replacing, "ids", set())
    if lab_id in ids:
        ids.discard(lab_id)
        return True
    return False


def _send(group, message):
    transaction.on_commit(lambda: _deliver(group, message))


def _deliver(group, message):
    """Never fails the change that caused it: a layer that is down loses the message (and is logged);
    sockets whose access is gone are still refused when they open again."""
    try:
        async_to_sync(get_channel_layer().group_send)(group, message)
    except Exception as exc:
        log.warning("could not tell %s's sockets that access changed (%s)", group, exc.__class__.__name__)
