"""What the lab and the dashboard sockets share: they follow their user's access while they are open.

Each socket joins its user's group besides its own (fcm/live/groups.py) and remembers its sign-in
session's key and expiry, so that a change of access (fcm/live/revoke.py) or the session running
out (fcm/live/expiry.py) closes it. Nothing here runs per fragment: a message to the user's group
is rare, and only a re-check reads the database.
"""
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session

from .groups import user_group
from .revoke import CLOSED_FOR_ACCESS


def session_expiry(scope):
    """When the socket's sign-in session runs out (epoch seconds), or None when the session store keeps
    no expiry row (then only signing out closes the socket). Synchronous: part of the socket's one
    database step."""
    session = scope.get("session")
    if session is None or not session.session_key or not isinstance(session, DatabaseSessionStore):
        return None
    expires = Session.objects.filter(session_key=session.session_key).values_list("expire_date", flat=True).first()
    return expires.timestamp() if expires else None


def access_closed_message(reason, next_url=None):
    """What the page reads before the close: the reason, and where to go instead of reloading, if anywhere."""
    return f"<!--fcm-access-closed {f'next={next_url} ' if next_url else ''}{reason}-->"


class AccessConsumer(AsyncWebsocketConsumer):
    """A socket that closes when its user's access goes. Subclasses call `follow` once they accept,
    `unfollow` when they disconnect, and answer `still_allowed` for a re-check."""

    user_id = None
    session_key = None
    #: Epoch seconds when the sign-in session runs out (None: not known, not swept).
    session_expires = None
    closing = False

    async def refuse(self, reason):
        """Accepted, then closed for access: a handshake refused outright looks like a network failure
        to the browser, which would reconnect again and again; this close shows the reason instead."""
        await self.accept()
        await self.close_for_access(reason)

    async def follow(self, user, expires):
        self.user_id, self.session_expires = user.pk, expires
        self.session_key = self.scope["session"].session_key
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)

    async def unfollow(self):
        if self.user_id is not None:
            await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)

    async def close_for_access(self, reason, next_url=None):
        """The reason goes first as a message of its own (daphne drops a close frame's reason); the page
        shows it once the close arrives (static/fcm/console.js). Nothing in it is swapped into the page."""
        if self.closing:
            return
        self.closing = True
        await self.send(text_data=access_closed_message(reason, next_url))
        await self.close(code=CLOSED_FOR_ACCESS, reason=reason)

    async def still_allowed(self, lab_id):
        """None when the message is not about this socket, else whether its user may keep it open."""
        return None

    #: What a socket that is closed by a re-check says.
    recheck_reason = ""

    async def access_message(self, message):
        if message["type"] == "access.close":
            if message.get("session") in (None, self.session_key):
                await self.close_for_access(message["reason"], message.get("next"))
        elif message["type"] == "access.recheck":
            allowed = await self.still_allowed(message.get("lab"))
            if allowed is False:
                await self.close_for_access(self.recheck_reason)


@database_sync_to_async
def sessions_alive(keys, now):
    """{session key: expiry in epoch seconds} for those of `keys` that have not run out at `now`."""
    rows = Session.objects.filter(session_key__in=keys, expire_date__gt=now).values_list("session_key", "expire_date")
    return {key: expires.timestamp() for key, expires in rows}
