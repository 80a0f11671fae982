"""What the console says about a role while it moves (derived, never stored).

Status and Information follow the product: "Live Migrating" with
"Live Migrating, 37% completed"; "Live Migration Queued" for a move waiting
for a slot; quick migration shows the VM's own states (Saving, Saved,
Starting) through the role, as the 2008 console did.
"""
from django.db.models import OuterRef, Subquery

from fcm.inventory.models import Role

from . import planning, registry
from .models import Operation


def information(role, op, sim_now):
    if op is None or not op.is_active:
        return role.information
    if op.state == Operation.State.QUEUED:
        place = getattr(op, "queue_position", None)
        what = {"live-migration": "Live Migration Queued", "quick-migration": "Quick Migration Queued",
                "storage-migration": "Storage Migration Queued"}[op.kind]
        return f"{what} ({_ordinal(place)} in queue)" if place else what
    percent = planning.progress(op, sim_now)
    if op.kind == Operation.Kind.LIVE_MIGRATION and op.plan.get("live"):
        return f"Live Migrating, {percent}% completed"
    if op.kind == Operation.Kind.STORAGE_MIGRATION:
        return f"Moving Virtual Machine Storage, {percent}% completed"
    phase = op.current_phase(sim_now)
    return f"Moving to {op.target_node.name}: {phase['name']}" if phase else "Moving"


def vm_status(op, sim_now):
    """Hyper-V Manager's Status column: the progress of what the VM's operation does (its kind says what it
    is called), else nothing."""
    what = registry.handler(op.kind).vm_status(op) if op is not None else None
    if what is None:
        return ""
    if op.state == Operation.State.QUEUED:
        return f"{what} (queued)"
    return f"{what} ({planning.progress(op, sim_now)}%)"


def status_override(role, op):
    """2012+ shows 'Live Migrating' in Status while memory moves."""
    if op is not None and op.state == Operation.State.RUNNING and op.kind == Operation.Kind.LIVE_MIGRATION \
            and op.plan.get("live") and role.cluster.version.order >= 3:
        return "Live Migrating"
    return None


def _ordinal(n):
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def attach_operations(lab, roles):
    """Give each role its active operation (`role.operation`), queue places
    included, in one query whatever the number of roles."""
    # Sorted here, not by the database: an ORDER BY costs Django a hash of every selected column,
    # and the engine asks this of every busy lab four times a second.
    active = sorted(Operation.objects.filter(lab=lab, state__in=Operation.ACTIVE).order_by()
                    .select_related("target_node"), key=lambda op: (op.queued_at, op.pk))
    position = 0
    by_role = {}
    for op in active:
        if op.state == Operation.State.QUEUED:
            position += 1
            op.queue_position = position
        by_role[op.role_id] = op
    for role in roles:
        role.operation = by_role.get(role.pk)
    return by_role


CHART_W, CHART_H, CHART_BASE = 600, 120, 100


def describe(op, sim_now):
    """Figures the Migration view shows, computed once for the template."""
    if op is None:
        return None
    op.percent = planning.progress(op, sim_now)
    op.elapsed = op.elapsed_s(sim_now)
    op.eta = max(op.total_s - op.elapsed, 0.0)
    rows = []
    for i, p in enumerate(op.phases, start=1):
        status = ""
        if op.state == Operation.State.COMPLETED or (i < op.phase_index):
            status = "done"
        elif i == op.phase_index and op.state == Operation.State.RUNNING:
            status = "current"
        rows.append({**p, "seconds": p["end_s"] - p["start_s"], "status": status})
    op.phase_rows = rows
    op.chart = _chart(op) if op.plan.get("live") else None
    return op


def _chart(op):
    plan = op.plan
    total = plan["total_s"] or 1
    peak = max([r["sent_mib"] for r in plan["rounds"]] + [plan["remainder_mib"], 1])
    scale_x, scale_y = CHART_W / total, (CHART_BASE - 8) / peak
    bars = []
    round_phases = [p for p in plan["phases"] if p["key"] == "memory-round"]
    for phase, r in zip(round_phases, plan["rounds"]):
        x, w = phase["start_s"] * scale_x, max((phase["end_s"] - phase["start_s"]) * scale_x, 1.5)
        h = r["sent_mib"] * scale_y
        bars.append({"x": round(x, 1), "y": round(CHART_BASE - h, 1), "w": round(w, 1), "h": round(h, 1),
                     "kind": "sent",
                     "title": f"Round {r['index'] + 1}: {r['sent_mib']:.0f} MiB in {r['seconds']:.2f} s"})
        dh = r["dirtied_mib"] * scale_y
        bars.append({"x": round(x + w * 0.6, 1), "y": round(CHART_BASE - dh, 1), "w": round(max(w * 0.4, 1), 1),
                     "h": round(dh, 1), "kind": "dirtied", "title": f"{r['dirtied_mib']:.0f} MiB dirtied meanwhile"})
    stop = next(p for p in plan["phases"] if p["key"] == "stop-and-copy")
    h = max(plan["remainder_mib"] * scale_y, 1)
    bars.append({"x": round(stop["start_s"] * scale_x, 1), "y": round(CHART_BASE - h, 1),
                 "w": round(max((stop["end_s"] - stop["start_s"]) * scale_x, 2), 1), "h": round(h, 1),
                 "kind": "blackout", "title": f"Stop-and-copy: {plan['remainder_mib']:.0f} MiB, "
                                              f"downtime {plan['downtime_s'] * 1000:.0f} ms"})
    cursor = None
    if op.state == Operation.State.RUNNING:
        cursor = round(min(op.elapsed, total) * scale_x, 1)
    return {"width": CHART_W, "height": CHART_H, "base": CHART_BASE, "label_y": CHART_H - 4,
            "bars": bars, "cursor": cursor}


def last_operations(roles):
    """{role id: its latest operation} in two queries at most: the latest ids, then the operations
    not already attached to their roles by `attach_operations` (a role that is moving has its move
    as its latest operation, so a busy lab's pushes read none again)."""
    latest = Operation.objects.filter(role=OuterRef("pk")).order_by("-pk").values("pk")[:1]
    ids = dict(Role.objects.filter(pk__in=[r.pk for r in roles]).annotate(last=Subquery(latest))
               .values_list("pk", "last"))
    by_pk = {op.pk: op for op in (getattr(r, "operation", None) for r in roles) if op is not None}
    missing = [v for v in ids.values() if v and v not in by_pk]
    if missing:
        by_pk.update((op.pk, op) for op in Operation.objects.filter(pk__in=missing).order_by().select_related(
            "source_node", "target_node", "target_disk"))
    return {role_pk: by_pk.get(op_pk) for role_pk, op_pk in ids.items()}


def attach_last_operations(roles, sim_now):
    last = last_operations(roles)
    for role in roles:
        role.last_operation = describe(last.get(role.pk), sim_now)
