"""One WebSocket per console tab, joined to its lab's group.

It decides nothing and reads nothing per message: the engine renders each
fragment once and the consumer forwards it (see DESIGN.md, Live updates).
"""
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from fcm.inventory.models import Lab

from .groups import lab_group


@database_sync_to_async
def _may_open(user, lab_id):
    return Lab.objects.visible_to(user).filter(pk=lab_id).exists()


class LabConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.group = None
        user = self.scope.get("user")
        lab_id = self.scope["url_route"]["kwargs"]["lab"]
        if user is None or not user.is_authenticated or not await _may_open(user, lab_id):
            await self.close(code=4403)
            return
        self.group = lab_group(lab_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        """Browsers only listen; anything they send is ignored."""

    async def lab_fragment(self, event):
        """Forward a pre-rendered HTML fragment (message type 'lab.fragment')."""
        await self.send(text_data=event["html"])
