"""One WebSocket per console tab, joined to its lab's group and to its user's.

It decides nothing and reads nothing per message: the engine renders each
fragment once and the consumer forwards it (see DESIGN.md, Live updates).
It closes when its user's access to the lab goes (fcm/live/sockets.py).
"""
from channels.db import database_sync_to_async

from fcm.inventory.models import Lab

from .auth import socket_user
from .groups import LOCAL, lab_group
from .revoke import NO_ACCESS
from .sockets import AccessConsumer, session_expiry


def _last_change(user, lab_id):
    """None when the user may not see the lab; else the lab's last push time (epoch seconds, 0 if none)."""
    if not user.is_authenticated:
        return None
    row = Lab.objects.visible_to(user).filter(pk=lab_id).values_list("pk", "changed_at").first()
    if row is None:
        return None
    return row[1].timestamp() if row[1] else 0.0


@database_sync_to_async
def _may_open(scope, lab_id):
    """(user, last push time or None when refused, session expiry): the socket's one database step."""
    user = socket_user(scope)
    changed = _last_change(user, lab_id)
    return user, changed, (session_expiry(scope) if changed is not None else None)


@database_sync_to_async
def _may_keep(scope, lab_id):
    return _last_change(socket_user(scope), lab_id) is not None


class LabConsumer(AccessConsumer):
    recheck_reason = NO_ACCESS

    async def connect(self):
        self.group = None
        lab_id = self.scope["url_route"]["kwargs"]["lab"]
        user, changed, expires = await _may_open(self.scope, lab_id)
        if changed is None:
            await self.refuse(NO_ACCESS)
            return
        self.group = lab_group(lab_id)
        self.lab_id = int(lab_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.follow(user, expires)
        await self.accept()
        LOCAL.setdefault(self.lab_id, set()).add(self)
        # Pushes sent between the page's render and this join were missed: the page compares.
        await self.send(text_data=f'<span id="lab-sync" hx-swap-oob="true" hidden data-changed="{changed:.3f}"></span>')

    async def disconnect(self, code):
        if self.group:
            LOCAL.get(self.lab_id, set()).discard(self)
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.unfollow()

    async def receive(self, text_data=None, bytes_data=None):
        """Browsers only listen; anything they send is ignored."""

    async def still_allowed(self, lab_id):
        if lab_id != self.lab_id:
            return None
        return await _may_keep(self.scope, self.lab_id)

    async def dispatch(self, message):
        """Forward fragments straight away.

        Channels' default dispatch first closes stale database connections
        in a worker thread for every message; a fragment needs no database,
        and that thread hop per message per tab was most of the cost of a
        push to hundreds of consoles (bench/ws_fanout.py).
        """
        if message["type"] == "lab.fragment":
            await self.send(text_data=message["html"])
            return
        if message["type"].startswith("access."):
            await self.access_message(message)
            return
        if not message["type"].startswith("websocket."):
            return  # a layer message this version does not know: dropped, the socket stays up
        await super().dispatch(message)
