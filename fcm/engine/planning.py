"""Turn a requested move into its plan, from the lab's facts (fcm.sim does the physics);
where a role may go (the Select Node dialog, Best Possible Node) and why not."""
from fcm.inventory.models import ClusterDisk, Disk, FileShare, Node
from fcm.sim import hyperv_moves, migration, placement, workload
from fcm.sim.units import MB

from . import facts
from .effects import shares
from .effects.hyperv_hosts import host_facts as hyperv_host_facts
from .errors import MoveError, PlanError
from .models import Operation

KIND_TO_PLACEMENT = {
    Operation.Kind.LIVE_MIGRATION: placement.LIVE,
    Operation.Kind.QUICK_MIGRATION: placement.QUICK,
}


def plan_move(kind, vm, cluster, source, target=None, target_disk=None, exclude_op=None):
    """A fcm.sim plan plus the figures the console shows, as plain values."""
    extra = {}
    if kind == Operation.Kind.LIVE_MIGRATION and vm.is_running:
        network, speed = facts.migration_network(cluster, source, target)
        if network is None:
            raise PlanError(f"No cluster network connects {source.name} and {target.name} "
                            "for live migration.")
        bandwidth, streams = facts.live_bandwidth(cluster, source, target, speed, exclude_op)
        profile = workload.get(vm.workload)
        plan = migration.plan_live_migration(
            vm.memory_mb, bandwidth, profile.dirty_rate_mib_s,
            writable_working_set_mib=vm.memory_mb * profile.writable_working_set_fraction,
            max_rounds=migration.max_rounds_for(cluster.version.order))
        extra = {"network": network.name, "link_mbps": speed, "streams": streams,
                 "performance": source.live_migration_performance,
                 "bandwidth_mib_s": round(bandwidth, 1), "dirty_rate_mib_s": profile.dirty_rate_mib_s}
    elif kind in (Operation.Kind.LIVE_MIGRATION, Operation.Kind.QUICK_MIGRATION):
        lun = vm.configuration_disk
        rate = lun.throughput_mib_s if lun else 100
        plan = migration.plan_quick_migration(vm.memory_mb if vm.is_running else 0, rate)
        extra = {"storage_mib_s": rate}
    else:
        vhd_mib = vm.storage_bytes() / MB
        src_rate = vm.configuration_disk.throughput_mib_s if vm.configuration_disk_id else 100
        rate = min(src_rate, target_disk.disk.throughput_mib_s)
        plan = migration.plan_storage_migration(vhd_mib, rate, workload.get(vm.workload).disk_write_mib_s)
        extra = {"copy_mib_s": rate}
    return to_json(plan, **extra)


def to_json(plan, **extra):
    out = {
        "phases": [{"key": p.key, "name": p.name, "start_s": p.start_s, "end_s": p.end_s, "state": p.state,
                    "detail": p.detail} for p in plan.phases],
        "total_s": plan.total_s,
        "downtime_s": plan.downtime_s,
        "summary": migration.summary(plan),
        **extra,
    }
    if isinstance(plan, migration.LiveMigrationPlan):
        out.update(
            rounds=[{"index": r.index, "sent_mib": r.sent_mib, "seconds": r.seconds,
                     "dirtied_mib": r.dirtied_mib} for r in plan.rounds],
            converged=plan.converged, diverging=plan.diverging, stop_reason=plan.stop_reason,
            memory_mib=plan.memory_mib, remainder_mib=plan.remainder_mib, live=True)
    return out


def plan_vm_move(vm, source, target, place, streams=1, only_vm=False):
    """A VM in no cluster to another host (Hyper-V Manager's Move): a shared-nothing live migration when
    it runs, its files and configuration when it is off or saved, into `place` (its LUN, share or None for
    the destination's own disks). The storage copy runs at the slowest of the source's storage, the link
    (TCP/IP, uncompressed) and the destination's storage; the memory rounds at the link's share for the
    source's performance option, beside the mirrored writes. With `only_vm` its files stay on their SMB
    share: an SMB live migration (the memory alone, the share's handles handed over in the blackout), or
    for a VM that is off or saved its configuration registered on the destination."""
    from_facts, to_facts = hyperv_host_facts(source), hyperv_host_facts(target)
    network = hyperv_moves.migration_network(from_facts, to_facts)
    if network is None:
        raise PlanError(f"{source.name} and {target.name} share no network for the move.")
    name, mbps = network
    running = vm.state == vm.State.RUNNING
    profile = workload.get(vm.workload)
    bandwidth = migration.effective_bandwidth_mib_s(mbps, source.live_migration_performance, source.version.order,
                                                   streams)
    common = dict(network=name, link_mbps=mbps, streams=streams, bandwidth_mib_s=round(bandwidth, 1),
                  performance=source.live_migration_performance, running=running)
    if only_vm:
        if running:
            plan = migration.plan_smb_live_migration(
                vm.memory_mb, bandwidth, profile.dirty_rate_mib_s, files=1 + vm.hard_disks.count(),
                writable_working_set_mib=vm.memory_mb * profile.writable_working_set_fraction,
                max_rounds=migration.max_rounds_for(source.version.order))
        else:
            plan = migration.plan_registration_move()
        out = to_json(plan, **common, vhd_mib=0)
    else:
        sources = _file_rates(vm, source)
        link = migration.line_rate_mib_s(mbps) * migration.TCP_EFFICIENCY / streams
        copy = min(min(sources), _place_rate(place, target), link)
        vhd_mib = vm.storage_bytes() / MB
        plan = migration.plan_shared_nothing_migration(
            vhd_mib, copy, profile.disk_write_mib_s if running else 0, vm.memory_mb if running else 0, bandwidth,
            profile.dirty_rate_mib_s, writable_working_set_mib=vm.memory_mb * profile.writable_working_set_fraction,
            max_rounds=migration.max_rounds_for(source.version.order))
        out = to_json(plan, **common, copy_mib_s=round(copy, 1), vhd_mib=round(vhd_mib))
    # Progress is linear within each phase: its value at every phase boundary is enough to draw it.
    out["curve"] = [[p.start_s, plan.progress(p.start_s)] for p in plan.phases] + [[plan.total_s, 100]]
    return out


def folder_place(plan):
    """Where a Hyper-V move's `folder` is, as its request found it: a LUN, a share, or None for local disks."""
    if plan.get("folder_share_id"):
        return FileShare.objects.select_related("server").get(pk=plan["folder_share_id"])
    return Disk.objects.get(pk=plan["folder_disk_id"]) if plan.get("folder_disk_id") else None


def _place_rate(place, node):
    """What `node` reads or writes files at in `place`: a LUN's throughput, a share's (its volume or the
    network to the file server, the slower), else the host's own disks'."""
    if isinstance(place, FileShare):
        return shares.storage_rate(place, node)
    return place.throughput_mib_s if place is not None else node.local_storage_mib_s


def _file_rates(vm, node):
    """The rates `node` reads each of `vm`'s virtual hard disks at (its configuration's without any)."""
    rates = [_place_rate(h.share or h.disk, node) for h in vm.hard_disks.select_related("disk", "share__server")]
    return rates or [_place_rate(vm.configuration_share or vm.configuration_disk, node)]


def plan_vm_storage_move(vm, host, place):
    """Hyper-V Manager's "Move the virtual machine's storage" for a VM in no cluster: its files copied to
    the new folder (`place`: a LUN, a share or None for the host's own disks) on the same host while it
    runs, one pass of what it wrote meanwhile, then the switch."""
    copy = min(min(_file_rates(vm, host)), _place_rate(place, host))
    vhd_mib = vm.storage_bytes() / MB
    running = vm.state == vm.State.RUNNING
    plan = migration.plan_storage_migration(vhd_mib, copy, workload.get(vm.workload).disk_write_mib_s if running
                                            else 0)
    out = to_json(plan, copy_mib_s=round(copy, 1), vhd_mib=round(vhd_mib), running=running)
    copied, mirrored = plan.phases[0].end_s, plan.phases[1].end_s
    share = plan.vhd_mib / max(plan.vhd_mib + plan.mirrored_mib, 1e-9)
    out["curve"] = [[0.0, 0], [copied, int(99 * share)], [mirrored, 99], [plan.total_s, 100]]
    return out


def live_plan_from_json(data):
    """Rebuild the fcm.sim plan (for progress) from its stored form."""
    return migration.LiveMigrationPlan(
        phases=tuple(migration.Phase(p["name"], p["start_s"], p["end_s"], p["state"], p["detail"], p.get("key", ""))
                     for p in data["phases"]),
        total_s=data["total_s"], downtime_s=data["downtime_s"],
        rounds=tuple(migration.Round(r["index"], r["sent_mib"], r["seconds"], r["dirtied_mib"])
                     for r in data["rounds"]),
        converged=data["converged"], stop_reason=data["stop_reason"], memory_mib=data["memory_mib"],
        bandwidth_mib_s=data.get("bandwidth_mib_s", 0), remainder_mib=data["remainder_mib"])


def progress(op, sim_now):
    """Percent completed, derived from the stored plan and the clock."""
    if op.state == Operation.State.COMPLETED:
        return 100
    if op.state != Operation.State.RUNNING or not op.plan:
        return 0
    elapsed = op.elapsed_s(sim_now)
    if op.plan.get("live"):
        return live_plan_from_json(op.plan).progress(elapsed)
    if op.plan.get("curve"):
        return curve_progress(op.plan["curve"], elapsed)
    return max(0, min(100, int(100 * elapsed / op.total_s))) if op.total_s else 100


def curve_progress(curve, elapsed):
    """Percent at `elapsed` on a stored curve of [seconds, percent] points (linear between them)."""
    if elapsed >= curve[-1][0]:
        return 100
    for (t0, p0), (t1, p1) in zip(curve, curve[1:]):
        if t0 <= elapsed < t1:
            return min(99, int(p0 + (p1 - p0) * (elapsed - t0) / max(t1 - t0, 1e-9)))
    return 0


def storage_targets(cluster, vm):
    """Volumes a VM's storage may move to: CSVs, and Available Storage disks
    every node reaches, other than where it is now."""
    current = {vm.configuration_disk_id} | {h.disk_id for h in vm.hard_disks.all()}
    disks = ClusterDisk.objects.filter(cluster=cluster, assignment__in=[
        ClusterDisk.Assignment.CSV, ClusterDisk.Assignment.AVAILABLE]).select_related("disk")
    return [d for d in disks if d.disk_id not in current]


def move_options(role, kind):
    """For the Select Node dialog: every other node, eligible or greyed with the reason."""
    cluster = role.cluster
    vm = role.virtual_machine
    nodes = facts.node_facts(cluster)
    vmf = facts.vm_facts(vm)
    source = nodes.get(vm.host_node.name)
    by_name = {n.name: n for n in Node.objects.filter(cluster=cluster)}
    options = []
    for name, nf in sorted(nodes.items()):
        if name == vm.host_node.name:
            continue
        reason = placement.ineligibility(vmf, nf, source, KIND_TO_PLACEMENT[kind])
        summary = ""
        if reason is None:
            try:
                summary = plan_move(kind, vm, cluster, vm.host_node, by_name[name])["summary"]
            except PlanError as exc:
                reason = str(exc)
        options.append({"node": by_name[name], "facts": nf, "reason": reason, "summary": summary})
    return options


def best_node_for(role, kind, reserved=None):
    vm = role.virtual_machine
    nodes = facts.node_facts(role.cluster)
    name = placement.best_possible_node(facts.vm_facts(vm), list(nodes.values()),
                                        facts.preferred_owner_names(role),
                                        KIND_TO_PLACEMENT[kind], reserved)
    return Node.objects.get(cluster=role.cluster, name=name) if name else None


def check_target(role, kind, target, exclude_op=None):
    vm = role.virtual_machine
    nodes = facts.node_facts(role.cluster, exclude_op)
    if target.name not in nodes:
        raise MoveError(f"{target.name} is not a node of {role.cluster.name}.")
    reason = placement.ineligibility(facts.vm_facts(vm), nodes[target.name], nodes.get(vm.host_node.name),
                                     KIND_TO_PLACEMENT[kind])
    if reason:
        raise MoveError(reason)


def plan_queued(op, check_target_node=True):
    """The plan of a queued move when it starts, after the target is checked again (it may have
    changed while the move waited its turn)."""
    if check_target_node:
        check_target(op.role, op.kind, op.target_node, exclude_op=op)
    return plan_move(op.kind, op.virtual_machine, op.role.cluster, op.source_node, op.target_node, op.target_disk,
                     exclude_op=op)
