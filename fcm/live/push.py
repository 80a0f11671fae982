"""Send a lab's fragments to every console watching it.

With the in-memory layer (`make run`: one process) the engine and the
consoles share daphne's event loop, so the fragment goes straight to each
local consumer: no per-tab message copy, queue and task wake-up, which
halved the cost of a push to 500 consoles (bench/ws_fanout.py). With a
shared layer (Redis, several processes) it goes through the lab's group,
and every process's consumers forward it.
"""
from channels.layers import InMemoryChannelLayer, get_channel_layer

from .groups import LOCAL, lab_group


async def push(lab_id, html):
    """`lab_id` may also be a group name (a trainer's dashboard), whose consumers register under it."""
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        for consumer in list(LOCAL.get(lab_id, ())):
            try:
                await consumer.send(text_data=html)
            except Exception:  # a tab closing mid-push; the others still get it
                LOCAL.get(lab_id, set()).discard(consumer)
        return
    group = lab_id if isinstance(lab_id, str) else lab_group(lab_id)
    await layer.group_send(group, {"type": "lab.fragment", "html": html})
