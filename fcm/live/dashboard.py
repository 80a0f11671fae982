"""The trainer's dashboard socket: one group per session, only its trainer (or an administrator) joins."""
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from fcm.training.grading import session_group
from fcm.training.models import TrainingSession

from .auth import socket_user
from .groups import LOCAL


@database_sync_to_async
def _may_watch(scope, session_id):
    user = socket_user(scope)
    if not user.is_authenticated:
        return False
    sessions = TrainingSession.objects.all() if user.is_superuser else TrainingSession.objects.filter(trainer=user)
    return sessions.filter(pk=session_id).exists()


class SessionConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.group = None
        session_id = self.scope["url_route"]["kwargs"]["session"]
        if not await _may_watch(self.scope, session_id):
            await self.close(code=4403)
            return
        self.group = session_group(session_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        LOCAL.setdefault(self.group, set()).add(self)  # the embedded engine sends to it directly

    async def disconnect(self, code):
        if self.group:
            LOCAL.get(self.group, set()).discard(self)
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        """The dashboard only listens."""

    async def lab_fragment(self, message):
        await self.send(text_data=message["html"])

    async def dispatch(self, message):
        if message["type"] == "lab.fragment" or message["type"].startswith("websocket."):
            await super().dispatch(message)
        # anything else on the layer is not for this version: dropped, the socket stays up
