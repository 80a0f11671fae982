"""One pass of the engine: apply due transitions, take the outbox, grade, render what changed.

The loop that repeats the pass and pushes its output lives in the
composition root (fcm/server/loop.py). Grading trainees' labs and rendering
consoles' fragments belong to apps above the engine, so the pass calls them
through hooks that fcm.server registers when the apps are ready; with none
registered a pass grades and renders nothing. Tests call `tick(to=...)`
with a wall-clock time of their choosing.
"""
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from django.utils import timezone

from fcm.inventory.models import Lab, Replication

from . import lifecycle
from .effects.replication import run_due_cycles
from .leases import Leases
from .models import Operation, Outbox



@dataclass
class Hooks:
    """What the pass asks of the apps above the engine (set by fcm.server at start-up)."""

    #: grade(lab ids that changed, wall now, emit) -> {push key: HTML} (trainers' tables, exercise panels).
    grade: Callable = lambda lab_ids, now, emit: {}
    #: render(lab, {outbox kind: object ids}, sim now, roles in progress) -> {push key: HTML}: the lab's
    #: consoles' fragments (key: the lab id), and any other consoles this lab's changes concern.
    render: Callable = lambda lab, changes, sim_now, progress: {}


hooks = Hooks()


def register_hooks(*, grade, render):
    hooks.grade, hooks.render = grade, render


class Runner:
    def __init__(self, clock=timezone.now, engine_id=None, leases=None):
        self.clock = clock
        #: Which labs this engine works (every lab, unless engines share them by lease: fcm.engine.leases).
        self.leases = Leases(engine_id, enabled=leases)
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
        held = self.leases.hold(active_labs, self.clock())
        if held is not None:
            active_labs &= held
        progress = {}
        for lab in Lab.objects.filter(pk__in=active_labs):
            sim_now = lab.sim_now(now)
            lifecycle.start_queued(lab, sim_now)
            self._apply_due(lab, sim_now)
            run_due_cycles(lab, sim_now)
            if lab.speed > 0:
                progress[lab.pk] = set(Operation.objects.filter(lab=lab, state=Operation.State.RUNNING,
                                                                role__isnull=False)
                                       .values_list("role_id", flat=True))
        changes = self._take_outbox(progress, held)
        graded = hooks.grade([lab_id for lab_id, kinds in changes.items() if kinds], now, emit)
        self.stats["ticks"] += 1
        self.stats["tick_s"] += time.perf_counter() - started
        return graded, (now, changes, progress, [key for key in graded if isinstance(key, int)])

    def _apply_due(self, lab, sim_now):
        """Apply due transitions in sim-time order across operations, one step at a time.

        An operation is advanced only up to the next operation's due time, so
        that effects (and their events) happen in the order a continuously
        running cluster would show them, even when one tick covers minutes of
        sim time (a fast clock, or a catch-up after a restart)."""
        # The two next due, read narrow (most passes find nothing due: a wide ordered read of the
        # operation and its relations cost more than the rest of a quiet lab's pass); the one applied
        # is then read whole.
        due = (Operation.objects.filter(lab=lab, state=Operation.State.RUNNING, next_due_at__lte=sim_now)
               .order_by("next_due_at", "pk"))
        whole = (Operation.objects.filter(state=Operation.State.RUNNING).order_by()
                 .select_related("lab", "role__cluster", "virtual_machine__host_node", "source_node",
                                 "target_node", "target_disk__disk"))
        stuck = set()
        while True:
            heads = list(due.exclude(pk__in=stuck).values_list("pk", "next_due_at")[:2])
            if not heads:
                return
            op = next(iter(whole.filter(pk=heads[0][0])), None)
            if op is None:
                stuck.add(heads[0][0])  # finished since it was listed (another runner)
                continue
            step_to = sim_now if len(heads) == 1 else min(sim_now, max(heads[0][1], heads[1][1]))
            if lifecycle.advance(op, step_to) or (step_to < sim_now and lifecycle.advance(op, sim_now)):
                self.stats["transitions"] += 1
            else:
                stuck.add(op.pk)  # nothing due after all (another runner applied it)

    def _take_outbox(self, progress, held=None):
        """{lab id: {kind: object ids}} from the outbox (emptied), plus the labs with moves in progress.

        `held`: only these labs' rows (the labs this engine holds), or None for every lab."""
        rows = Outbox.objects.all() if held is None else Outbox.objects.filter(lab_id__in=held)
        rows = list(rows.values_list("pk", "lab_id", "kind", "object_id"))
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
            for key, html in hooks.render(lab, changes[lab.pk], lab.sim_now(now), progress.get(lab.pk, ())).items():
                if html:
                    out[key] = out.get(key, "") + html
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
