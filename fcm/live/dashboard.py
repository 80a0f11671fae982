"""The trainer's dashboard socket: one group per session, only its trainer (or an administrator) joins.

Like a console's, it closes when its user signs out or loses the dashboard (fcm/live/sockets.py).
"""
from channels.db import database_sync_to_async

from fcm.training.grading import session_group
from fcm.training.models import TrainingSession

from .auth import socket_user
from .groups import LOCAL
from .revoke import NO_DASHBOARD
from .sockets import AccessConsumer, session_expiry


@database_sync_to_async
def _may_watch(scope, session_id):
    """(user, whether they may watch, session expiry): the socket's one database step."""
    user = socket_user(scope)
    if not user.is_authenticated:
        return user, False, None
    sessions = TrainingSession.objects.all() if user.is_superuser else TrainingSession.objects.filter(trainer=user)
    allowed = sessions.filter(pk=session_id).exists()
    return user, allowed, (session_expiry(scope) if allowed else None)


class SessionConsumer(AccessConsumer):
    recheck_reason = NO_DASHBOARD

    async def connect(self):
        self.group = None
        session_id = self.scope["url_route"]["kwargs"]["session"]
        user, allowed, expires = await _may_watch(self.scope, session_id)
        if not allowed:
            await self.refuse(NO_DASHBOARD)
            return
        self.group = session_group(session_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.follow(user, expires)
        await self.accept()
        LOCAL.setdefault(self.group, set()).add(self)  # the embedded engine sends to it directly

    async def disconnect(self, code):
        if self.group:
            LOCAL.get(self.group, set()).discard(self)
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.unfollow()

    async def receive(self, text_data=None, bytes_data=None):
        """The dashboard only listens."""

    async def lab_fragment(self, message):
        await self.send(text_data=message["html"])

    async def dispatch(self, message):
        if message["type"].startswith("access."):
            await self.access_message(message)
        elif message["type"] == "lab.fragment" or message["type"].startswith("websocket."):
            await super().dispatch(message)
        # anything else on the layer is not for this version: dropped, the socket stays up
