"""The engine loop: apply due transitions, push what changed.

Embedded (`manage.py serve`), it runs as a task on daphne's own event loop,
so pushes go out without crossing threads; scaled, the same loop runs
alone (`manage.py runengine`) beside daphne processes on channels-redis.
Tests call `tick(to=...)` with a wall-clock time of their choosing.
"""
import asyncio
import logging
import time
from datetime import timedelta

from channels.db import database_sync_to_async
from django.db import close_old_connections
from django.utils import timezone

from fcm.inventory.models import Lab, Replication
from fcm.live import fragments
from fcm.live.push import push
from fcm.training import grading

from . import replication, services
from .models import Operation, Outbox

log = logging.getLogger(__name__)

#: Wall seconds between ticks: progress reaches consoles 4 times a second.
TICK_S = 0.25


class Runner:
    def __init__(self, clock=timezone.now):
        self.clock = clock
        self.stats = {"ticks": 0, "transitions": 0, "tick_s": 0.0}
        self._pushes_recorded_until = {}

    def tick(self, to=None):
        """One pass; returns {lab id, or a trainer dashboard's group name: HTML to push} (one message each)."""
        out, pending = self.tick_graded(to)
        for key, html in self.render(pending).items():
            out[key] = out.get(key, "") + html
        return out

    def tick_graded(self, to=None, emit=None):
        """First half of a pass: apply what is due, take the outbox, grade trainees' labs.

        Returns (what to push now: trainers' tables and exercise panels, what `render` needs). The
        loop pushes the grades before the consoles' fragments are rendered: with a class of busy
        labs, rendering them is most of a tick, and the trainer waits for the tick on the dashboard.
        `emit(key, html)` pushes at once (an objective met: see grading.after_changes)."""
        started = time.perf_counter()
        now = to or self.clock()
        active_labs = set(Operation.objects.filter(state__in=Operation.ACTIVE)
                          .values_list("lab_id", flat=True).distinct())
        active_labs |= set(Replication.objects.filter(state=Replication.State.REPLICATING, paused=False)
                           .values_list("lab_id", flat=True).distinct())
        progress = {}
        for lab in Lab.objects.filter(pk__in=active_labs):
            sim_now = lab.sim_now(now)
            services.start_queued(lab, sim_now)
            self._apply_due(lab, sim_now)
            replication.run_due_cycles(lab, sim_now)
            if lab.speed > 0:
                progress[lab.pk] = set(Operation.objects.filter(lab=lab, state=Operation.State.RUNNING, role__isnull=False)
                                       .values_list("role_id", flat=True))
        changes = self._take_outbox(progress)
        graded = grading.after_changes([lab_id for lab_id, kinds in changes.items() if kinds], now, emit)
        self.stats["ticks"] += 1
        self.stats["tick_s"] += time.perf_counter() - started
        return graded, (now, changes, progress, [key for key in graded if isinstance(key, int)])

    def _apply_due(self, lab, sim_now):
        """Apply due transitions in sim-time order across operations, one step at a time.

        An operation is advanced only up to the next operation's due time, so
        that effects (and their events) happen in the order a continuously
        running cluster would show them, even when one tick covers minutes of
        sim time (a fast clock, or a catch-up after a restart)."""
        due = (Operation.objects.filter(lab=lab, state=Operation.State.RUNNING, next_due_at__lte=sim_now)
               .select_related("lab", "role__cluster", "virtual_machine__host_node", "source_node",
                               "target_node", "target_disk__disk").order_by("next_due_at", "pk"))
        stuck = set()
        while True:
            ops = list(due.exclude(pk__in=stuck)[:2])
            if not ops:
                return
            op = ops[0]
            step_to = sim_now if len(ops) == 1 else min(sim_now, max(op.next_due_at, ops[1].next_due_at))
            if services.advance(op, step_to) or (step_to < sim_now and services.advance(op, sim_now)):
                self.stats["transitions"] += 1
            else:
                stuck.add(op.pk)  # nothing due after all (another runner applied it)

    def _take_outbox(self, progress):
        """{lab id: {kind: object ids}} from the outbox (emptied), plus the labs with moves in progress."""
        rows = list(Outbox.objects.values_list("pk", "lab_id", "kind", "object_id"))
        if rows:
            Outbox.objects.filter(pk__in=[r[0] for r in rows]).delete()
        changes = {}
        for _, lab_id, kind, object_id in rows:
            changes.setdefault(lab_id, {}).setdefault(kind, set()).add(object_id)
        for lab_id in progress:
            changes.setdefault(lab_id, {})
        return changes

    def render(self, pending):
        """Second half of a pass: the consoles' fragments for what changed."""
        started = time.perf_counter()
        now, changes, progress, graded_labs = pending
        out = {}
        for lab in Lab.objects.filter(pk__in=changes):
            html = fragments.render_changes(lab, changes[lab.pk], lab.sim_now(now), progress.get(lab.pk, ()))
            if html:
                out[lab.pk] = html
        self._record_pushes(set(out) | set(graded_labs))
        self.stats["tick_s"] += time.perf_counter() - started
        return out

    def _record_pushes(self, out):
        """Lab.changed_at covers every push (a console that joins later compares it with its page).

        Written at most once a second per lab, a second ahead: a commit per tick per lab
        cost more than the rest of a busy tick."""
        wall = timezone.now()
        due = [lab_id for lab_id in out if self._pushes_recorded_until.get(lab_id, wall) <= wall]
        if due:
            until = wall + timedelta(seconds=1)
            Lab.objects.filter(pk__in=due).update(changed_at=until)
            self._pushes_recorded_until.update({lab_id: until for lab_id in due})

    async def run(self, interval=TICK_S, stop=None):
        loop = asyncio.get_running_loop()

        def emit(key, html):
            """From the engine's thread: push now and wait until it is sent (the same HTML also goes
            out with the rest of the pass, so a push that fails here is only late)."""
            try:
                asyncio.run_coroutine_threadsafe(self._push_all({key: html}), loop).result(timeout=5)
            except Exception:
                log.exception("early push failed")

        graded_pass = database_sync_to_async(self._closing(lambda: self.tick_graded(emit=emit)))
        render_pass = database_sync_to_async(self._closing(self.render))
        while stop is None or not stop.is_set():
            began = time.monotonic()
            try:
                first, pending = await graded_pass()
                await self._push_all(first)
                await self._push_all(await render_pass(pending))
            except Exception:  # keep the loop alive; the rows are still there next tick
                log.exception("engine tick failed")
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - began)))

    @staticmethod
    async def _push_all(out):
        # The commit time rides along as an HTML comment (htmx ignores it):
        # it lets a console, or bench/ws_fanout.py, measure push latency.
        stamp = f"<!--fcm-commit {time.time():.6f}-->"
        for key, html in out.items():
            await push(key, stamp + html)

    @staticmethod
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
    from twisted.internet import reactor

    def spawn():
        _tasks.append(asyncio.get_event_loop().create_task(Runner().run()))

    reactor.callWhenRunning(spawn)
