"""The life of an Operation: begin, start from the queue, advance through its phases, finish.

This is the engine's core. It never branches on an operation's kind: what a
kind does when it plans, enters a phase, completes or finishes is its
handler's (fcm/engine/registry.py). Every step commits the change with its
Outbox row, and claims its transition with a conditional UPDATE, so two
runners never apply one step twice and a restart resumes from the rows.
"""
import contextvars
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction

from fcm.inventory.models import Lab

from . import registry
from .errors import EngineError, SimulatorLimitError
from .models import Operation
from .outbox import mark_nodes, mark_operation


#: Operations one lab may hold in flight (queued or running) at once. Not a Windows limit: the
#: simulator's own, so that one lab cannot fill the engine every lab shares (150 validations begun
#: in one lab once took every lab's tick from 12 ms to seconds). A class exercise needs a handful;
#: draining a node of 40 VMs queues 40, which still fits.
MAX_OPERATIONS_PER_LAB = 50

_engine_acting = contextvars.ContextVar("engine_acting", default=False)


@contextmanager
def engine_pass():
    """Inside it, the engine applies the simulation's own consequences (a failover after a crash,
    a failback, a replication cycle): the simulator's limit never refuses those, only users' requests."""
    token = _engine_acting.set(True)
    try:
        yield
    finally:
        _engine_acting.reset(token)


def admit(lab):
    """Refuse a user's request that would put more than MAX_OPERATIONS_PER_LAB operations in flight in `lab`.

    Called inside the transaction that creates the operation; on PostgreSQL the lab's row is locked
    there, so two requests at once cannot both take the last place (SQLite writes one at a time)."""
    if _engine_acting.get():
        return
    Lab.objects.select_for_update().filter(pk=lab.pk).exists()
    in_flight = Operation.objects.filter(lab=lab, state__in=Operation.ACTIVE).count()
    if in_flight >= MAX_OPERATIONS_PER_LAB:
        raise SimulatorLimitError(
            f"The simulator runs at most {MAX_OPERATIONS_PER_LAB} operations at once in one lab, and "
            f"{in_flight} are queued or running in this lab. Wait for some to finish, then try again. "
            "(This is a limit of the simulator, not of Windows Server.)")


def make_plan(phases, summary, **extra):
    """The stored plan of an operation begun running: its phases, total, summary and what its kind needs."""
    return {"phases": phases, "total_s": phases[-1]["end_s"] if phases else 0.0, "downtime_s": 0,
            "summary": summary, **extra}


def begin(lab, kind, plan, *, sim_now=None, prepare=None, conflict=None, **fields):
    """Create a running Operation with its plan and apply what is due at once.

    `sim_now` is given when the engine itself acts inside a tick (a failover,
    a drain), so the operation starts at the engine's time, not the wall
    clock's. `prepare(op)` runs in the same transaction (a report to attach).
    `conflict`: the refusal (an EngineError) to raise when the row cannot be
    created because another active operation holds its subject."""
    sim_now = sim_now or lab.sim_now()
    try:
        with transaction.atomic():
            admit(lab)
            op = Operation.objects.create(lab=lab, kind=kind, state=Operation.State.RUNNING, queued_at=sim_now,
                                          started_at=sim_now, next_due_at=sim_now, plan=plan, **fields)
            if prepare is not None:
                prepare(op)
            mark_operation(op)
    except IntegrityError:
        if conflict is None:
            raise
        raise conflict from None
    advance(op, sim_now)
    return op


# -- the queue ----------------------------------------------------------------------

def _busy_hosts(lab):
    """{limit group: {host id: running operations of the group on it}} in one read for every group."""
    counts = {group: {} for group in registry.limit_groups()}
    for kind, src, dst in Operation.objects.filter(
            lab=lab, state=Operation.State.RUNNING,
            kind__in=[k for group in counts for k in registry.kinds_in_group(group)]) \
            .order_by().values_list("kind", "source_node_id", "target_node_id"):
        group = counts[registry.handler(kind).limit_group]
        for host in {src, dst}:
            group[host] = group.get(host, 0) + 1
    return counts


def start_queued(lab, sim_now=None, queue_changed=False):
    """Start queued operations in order while the per-host limits allow.

    The operations left waiting are re-rendered (their place in the queue)
    only when the queue moved: something started, or the caller says an
    operation left it."""
    if sim_now is None:
        lab.refresh_from_db(fields=["sim_anchor", "wall_anchor", "speed"])
        sim_now = lab.sim_now()
    started = []
    # Decided on the operation and its cluster (the limits) only: every pass of a lab with a queue
    # asks, and most answers are "wait". The operations that start are read whole for their plan.
    # Sorted here rather than by the database: Django hashes every selected column for an ORDER BY.
    queued = sorted(Operation.objects.filter(lab=lab, state=Operation.State.QUEUED).order_by()
                    .select_related("role__cluster", "source_node", "target_node"),
                    key=lambda op: (op.queued_at, op.pk))
    if not queued:
        return started
    # Counted once, before anything starts in this pass (what started earlier in the pass is added below).
    busy = _busy_hosts(lab)
    waiting = []
    for op in queued:
        handler = registry.handler(op.kind)
        group, limits = handler.limit_group, handler.host_limit(op)
        if group is not None and limits is not None:
            counts = busy[group]
            if any(counts.get(h, 0) >= limit for h, limit in limits.items()):
                waiting.append(op)
                continue
            for h in limits:
                counts[h] = counts.get(h, 0) + 1
        started.append(op)
    if started:
        whole = {op.pk: op for op in Operation.objects.filter(pk__in=[op.pk for op in started]).order_by()
                 .select_related("role__cluster", "virtual_machine__host_node", "source_node",
                                 "target_node", "target_disk__disk")}
        started = [whole[op.pk] for op in started if op.pk in whole]
        for op in started:
            _start(op, registry.handler(op.kind), sim_now)
    if started or queue_changed:
        for op in waiting:  # its place in the queue changed
            mark_operation(op)
    return started


def _start(op, handler, sim_now):
    with transaction.atomic():
        try:
            plan = handler.plan(op, sim_now)
        except EngineError as exc:
            finish(op, Operation.State.FAILED, sim_now, str(exc))
            return
        claimed = Operation.objects.filter(pk=op.pk, state=Operation.State.QUEUED).update(
            state=Operation.State.RUNNING, plan=plan, started_at=sim_now, phase_index=0, next_due_at=sim_now)
        if not claimed:
            return
        op.state, op.plan, op.started_at, op.phase_index = Operation.State.RUNNING, plan, sim_now, 0
        mark_operation(op)
    advance(op, sim_now)


# -- phases -------------------------------------------------------------------------

def advance(op, sim_now):
    """Apply every transition of `op` due by `sim_now`, in one transaction."""
    handler = registry.handler(op.kind)
    with transaction.atomic():
        elapsed = op.elapsed_s(sim_now)
        phases = op.phases
        entered = sum(1 for p in phases if p["start_s"] <= elapsed)
        done = elapsed >= op.total_s
        if entered == op.phase_index and not done:
            return False
        nxt = op.started_at + timedelta(seconds=phases[entered]["start_s"] if entered < len(phases) else op.total_s)
        claimed = Operation.objects.filter(pk=op.pk, state=Operation.State.RUNNING,
                                           phase_index=op.phase_index).update(
            phase_index=entered, next_due_at=None if done else nxt)
        if not claimed:
            return False  # another runner applied it
        for k in range(op.phase_index, entered):
            handler.enter_phase(op, phases[k], sim_now)
        op.phase_index = entered
        if done:
            end = op.started_at + timedelta(seconds=op.total_s)
            handler.complete(op, end)
            finish(op, Operation.State.COMPLETED, end)
        mark_operation(op)
    if done:
        start_queued(op.lab, sim_now, queue_changed=True)
    return True


def finish(op, state, sim_time, message=""):
    """End `op` (Completed, Failed, Cancelled) and let its kind react (a report, a failure event, a drain)."""
    Operation.objects.filter(pk=op.pk).update(state=state, finished_at=sim_time, next_due_at=None, message=message)
    op.state, op.finished_at, op.message = state, sim_time, message
    registry.handler(op.kind).finished(op, state, sim_time)
    mark_operation(op)
    mark_nodes(op.lab_id, op.source_node, op.target_node)
