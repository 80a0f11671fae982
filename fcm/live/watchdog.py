"""Consoles list themselves again after the channel layer (Redis) comes back.

With Redis publish/subscribe a console's socket stays open while Redis is
down, and whatever the engine published meanwhile is lost. So each daphne
process sends itself a message through the layer every second; when one
gets through again after one failed (or did not come back within a few
seconds), every console this process serves is closed with 1012 (Service
Restart). The browser reconnects after a jittered pause and the page
compares the lab's last push with its own render, as after any reconnect.
"""
import asyncio
import logging

from channels.layers import InMemoryChannelLayer, get_channel_layer

from .groups import local_consumers

log = logging.getLogger(__name__)
PERIOD_S = 1.0
#: A ping slower than this counts as lost (a busy process answers within a fraction of it).
PATIENCE_S = 5.0
#: 1012, Service Restart: htmx's socket extension reconnects after it.
SERVICE_RESTART = 1012
_tasks = []


def start_on_daphne_loop():
    """Part of `manage.py serve`'s ready callback: watch the layer from daphne's own loop.

    Nothing to watch with the in-memory layer (one process: nothing between the engine and the
    consoles can go away).
    """
    from twisted.internet import reactor  # noqa: PLC0415  (late: daphne installs its asyncio reactor first)

    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        return
    reactor.callWhenRunning(lambda: _tasks.append(asyncio.get_event_loop().create_task(watch(layer))))


async def watch(layer, period=PERIOD_S, patience=PATIENCE_S):
    channel, lost = None, False
    while True:
        try:
            channel = channel or await layer.new_channel("watchdog.")
            await layer.send(channel, {"type": "watchdog.ping"})
            await asyncio.wait_for(layer.receive(channel), timeout=patience)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not lost:
                log.warning("channel layer unreachable (%s): consoles will list themselves again once it is back",
                            exc.__class__.__name__)
            channel, lost = None, True  # a cancelled receive may have dropped the channel: a new one
            await asyncio.sleep(period)
            continue
        if lost:
            lost = False
            await resync_consoles()
        await asyncio.sleep(period)


async def resync_consoles():
    consoles = local_consumers()
    log.warning("channel layer back: %d consoles reconnect to list themselves again", len(consoles))
    for consumer in consoles:
        try:
            await consumer.close(code=SERVICE_RESTART)
        except Exception:  # already closing
            pass
