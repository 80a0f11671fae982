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

from . import health, lifecycle
from .effects.replication import run_due_cycles
from .leases import Leases
from .models import LabHealth, Operation, Outbox



@dataclass
class Hooks:
    """What the pass asks of the apps above the engine (set by fcm.server at start-up)."""

    #: grade(lab ids that changed, wall now, emit) -> {push key: HTML} (trainers' tables, exercise panels).
    grade: Callable = lambda lab_ids, now, emit: {}
    #: render(lab, {outbox kind: object ids}, sim now, roles in progress) -> {push key: HTML}: the lab's
    #: consoles' fragments (key: the lab id), and any other consoles this lab's changes concern.
    render: Callable = lambda lab, changes, sim_now, progress: {}
    #: notice(lab, LabHealth or None, wall now) -> HTML: the lab's failure notice for its consoles
    #: (None: it passes again, the notice goes).
    notice: Callable = lambda lab, record, now: ""


hooks = Hooks()


def register_hooks(*, grade, render, notice):
    hooks.grade, hooks.render, hooks.notice = grade, render, notice


#: Steps (`lifecycle.advance` calls that applied something) one lab's pass may take in one tick.
#: Work beyond it waits for the next tick (it is still due, so it is applied then, in the same
#: order): one busy lab is late rather than every lab. A live migration is a handful of steps and
#: a class exercise a few operations at a time; 50 validations in flight at x60 need a few hundred
#: steps a second, which this lets one lab take at 4 ticks a second while its pass stays within a
#: few tens of milliseconds (a step is 1-2 ms on SQLite).
STEPS_PER_LAB_PASS = 25


class Runner:
    def __init__(self, clock=timezone.now, engine_id=None, leases=None):
        self.clock = clock
        #: Which labs this engine works (every lab, unless engines share them by lease: fcm.engine.leases).
        self.leases = Leases(engine_id, enabled=leases)
        self.stats = {"ticks": 0, "transitions": 0, "tick_s": 0.0, "budget_reached": 0}
        self._pushes_recorded_until = {}
        #: {lab id: VMs in no cluster whose move or state change is under way}, filled by each lab's pass.
        self.vm_progress = {}

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
        known = health.failing()
        progress, passed, failed = {}, set(), {}
        labs, leased = self.labs_to_pass(now, known)
        for lab in labs:
            # Each step of a lab's share commits on its own (with its outbox row), as a step always
            # has: a failure leaves the lab at its last whole step, and no transaction spans the
            # share (on SQLite it would hold the one write lock while the lab is only read).
            try:
                with lifecycle.engine_pass():
                    self.lab_pass(lab, now, progress)
            except Exception as exc:  # that lab's fault alone: the others keep their pace
                progress.pop(lab.pk, None)
                failed[lab.pk] = health.record_failure(lab.pk, LabHealth.Stage.PASS, exc, now, known.get(lab.pk))
            else:
                passed.add(lab.pk)
        recovered = {pk for pk in passed if pk in known and known[pk].stage == LabHealth.Stage.PASS}
        health.clear(recovered)
        held = {pk for pk, h in known.items() if pk not in passed} | set(failed)
        changes = self._take_outbox(progress, held, leased)
        retried = {pk: known[pk] for pk in passed if pk in known and pk not in recovered}
        for pk in retried:  # failed while rendering: rendering is tried again (and clears it, in `render`)
            changes.setdefault(pk, {})
        noticed = recovered | set(failed)
        graded = hooks.grade([lab_id for lab_id, kinds in changes.items() if kinds] + sorted(noticed - set(changes)),
                             now, emit)
        # Progress alone grades nothing: the VMs whose moves only advanced are rendered, not graded.
        for lab_id, vms in self.vm_progress.items():
            if lab_id in changes:
                changes[lab_id].setdefault(Outbox.Kind.VM, set()).update(vms)
        self.vm_progress = {}
        self.stats["ticks"] += 1
        self.stats["tick_s"] += time.perf_counter() - started
        notices = {pk: failed.get(pk) for pk in noticed}
        return graded, (now, changes, progress, [key for key in graded if isinstance(key, int)], notices, retried)

    def labs_to_pass(self, now, known):
        """The labs this pass advances: those with operations in flight or replication under way, and
        those retried after a failure; not those waiting for their retry time, nor (engines sharing the
        labs) those another engine holds. Returns (the labs, the lab ids this engine holds or None: all)."""
        # order_by(): without it DISTINCT also covers the ordering columns (one row per operation).
        active_labs = set(Operation.objects.filter(state__in=Operation.ACTIVE).order_by()
                          .values_list("lab_id", flat=True).distinct())
        active_labs |= set(Replication.objects.filter(state=Replication.State.REPLICATING, paused=False)
                           .order_by().values_list("lab_id", flat=True).distinct())
        waiting = {pk for pk, h in known.items() if h.retry_at > now}
        candidates = (active_labs | set(known)) - waiting
        leased = self.leases.hold(candidates, self.clock())
        if leased is not None:
            candidates &= leased
        return Lab.objects.filter(pk__in=candidates).order_by("pk"), leased

    def lab_pass(self, lab, now, progress):
        """One lab's share of the pass: apply what is due (within the budget), start what the queue allows,
        run its due replication cycles, and note its roles in progress."""
        sim_now = lab.sim_now(now)
        # What was due before now first: a queued move that starts (or is refused) now must see the lab as it
        # is now, after the failures and completions due earlier (each of those starts what it frees, at
        # its own time). The soak found a drain's queued move refused at the pass's time, its event logged
        # before the node failure that was due minutes earlier.
        self._apply_due(lab, sim_now)
        lifecycle.start_queued(lab, sim_now)
        run_due_cycles(lab, sim_now)
        if lab.speed > 0:
            running = list(Operation.objects.filter(lab=lab, state=Operation.State.RUNNING)
                           .values_list("role_id", "virtual_machine_id"))
            progress[lab.pk] = {role for role, _ in running if role is not None}
            # A VM in no cluster has no role: its own row (Status) follows its move.
            vms = {vm for role, vm in running if role is None and vm is not None}
            if vms:
                self.vm_progress[lab.pk] = vms

    def _apply_due(self, lab, sim_now):
        """Apply due transitions in sim-time order across operations, one step at a time, at most
        STEPS_PER_LAB_PASS steps (what is left stays due and the next tick carries on).

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
        for _ in range(STEPS_PER_LAB_PASS):
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
        else:
            self.stats["budget_reached"] += 1  # the rest is still due: the next tick applies it

    def _take_outbox(self, progress, held=(), leased=None):
        """{lab id: {kind: object ids}} from the outbox (emptied), plus the labs with moves in progress.

        A failing lab's rows (`held`) stay: its consoles get them once it passes again. `leased`: only
        these labs' rows (the labs this engine holds), or None for every lab."""
        rows = Outbox.objects.all() if leased is None else Outbox.objects.filter(lab_id__in=leased)
        rows = list(rows.exclude(lab_id__in=held).values_list("pk", "lab_id", "kind", "object_id"))
        if rows:
            Outbox.objects.filter(pk__in=[r[0] for r in rows]).delete()
        changes = {}
        for _, lab_id, kind, object_id in rows:
            changes.setdefault(lab_id, {}).setdefault(kind, set()).add(object_id)
        for lab_id in progress:
            changes.setdefault(lab_id, {})
        return changes

    def render(self, pending):
        """Second half of a pass: the consoles' fragments for what changed, and the failure notices of
        the labs whose health changed. A lab whose rendering fails is recorded as failing (at the
        render stage) and the others are still rendered."""
        started = time.perf_counter()
        now, changes, progress, graded_labs, notices, retried = pending
        out = {}
        rendered = set()
        for lab in Lab.objects.filter(pk__in=set(changes) | set(notices)).order_by("pk"):
            pushes = {}
            if lab.pk in changes:
                try:  # reads only: no transaction (on SQLite one would take the write lock)
                    pushes = hooks.render(lab, changes[lab.pk], lab.sim_now(now), progress.get(lab.pk, ()))
                except Exception as exc:
                    pushes = {}
                    notices[lab.pk] = health.record_failure(lab.pk, LabHealth.Stage.RENDER, exc, now,
                                                            retried.get(lab.pk))
                else:
                    rendered.add(lab.pk)
            if lab.pk in notices:
                pushes[lab.pk] = pushes.get(lab.pk, "") + hooks.notice(lab, notices[lab.pk], now)
            for key, html in pushes.items():
                if html:
                    out[key] = out.get(key, "") + html
        recovered = {pk for pk in rendered if pk in retried}
        if recovered:  # a lab that failed while rendering recovers once it renders again
            health.clear(recovered)
            for lab in Lab.objects.filter(pk__in=recovered):
                out[lab.pk] = out.get(lab.pk, "") + hooks.notice(lab, None, now)
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
