"""The engine loop: repeat the engine's pass and push what it produced.

Embedded (`manage.py serve`), it runs as a task on daphne's own event loop,
so pushes go out without crossing threads; scaled, the same loop runs alone
(`manage.py runengine`) beside daphne processes on channels-redis.
"""
import asyncio
import logging
import time

from channels.db import database_sync_to_async
from django.db import close_old_connections

from fcm.engine.runner import Runner
from fcm.live.push import push

log = logging.getLogger(__name__)

#: Wall seconds between ticks: progress reaches consoles 4 times a second.
TICK_S = 0.25


async def run(runner=None, interval=TICK_S, stop=None):
    """Tick until `stop` is set: grades are pushed before the consoles' fragments are rendered."""
    runner = runner or Runner()
    loop = asyncio.get_running_loop()

    def emit(key, html):
        """From the engine's thread: push now and wait until it is sent (the same HTML also goes
        out with the rest of the pass, so a push that fails here is only late)."""
        try:
            asyncio.run_coroutine_threadsafe(push_all({key: html}), loop).result(timeout=5)
        except Exception:
            log.exception("early push failed")

    graded_pass = database_sync_to_async(_closing(lambda: runner.tick_graded(emit=emit)))
    render_pass = database_sync_to_async(_closing(runner.render))
    while stop is None or not stop.is_set():
        began, tick_at = time.monotonic(), time.time()
        try:
            first, pending = await graded_pass()
            await push_all(first, tick_at)
            await push_all(await render_pass(pending), tick_at)
        except Exception:  # a lab's own fault is caught in its pass (engine/health.py); this is the
            log.exception("engine tick failed")  # last resort: keep the loop alive, the rows are still there
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - began)))


async def push_all(out, tick_at=None):
    # The commit time rides along as an HTML comment (htmx ignores it):
    # it lets a console, or bench/ws_fanout.py, measure push latency; the
    # time the tick began lets bench/neighbours.py see a tick that one lab slowed.
    stamp = f"<!--fcm-commit {time.time():.6f}-->"
    if tick_at is not None:
        stamp += f"<!--fcm-tick {tick_at:.6f}-->"
    for key, html in out.items():
        await push(key, stamp + html)


def _closing(fn):
    def call(*args):
        close_old_connections()
        try:
            return fn(*args)
        finally:
            close_old_connections()
    return call


_tasks = []


def start_on_daphne_loop():
    """daphne's `ready_callable`: run the engine as a task on daphne's own loop.

    daphne sends no ASGI lifespan events, so this is where the embedded
    engine starts (`manage.py serve`, and the browser suite's live server).
    The task is kept referenced so it is not garbage-collected.
    """
    from twisted.internet import reactor  # noqa: PLC0415  (late: daphne installs its asyncio reactor first)

    def spawn():
        _tasks.append(asyncio.get_event_loop().create_task(run()))

    reactor.callWhenRunning(spawn)
