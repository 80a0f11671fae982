"""The only writers of simulated state that changes over time.

Views call `request_moves` / `cancel`; the runner calls `start_queued` and
`advance`. Each writes the change and an Outbox row in one transaction, so
what open consoles are sent is exactly what was committed.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, transaction

from fcm.inventory.models import (
    ClusterDisk, ClusterEvent, Node, Resource, Role, VirtualMachine,
)
from fcm.inventory.models.vms import MigrationState
from fcm.sim import placement

from .errors import EngineError
from . import facts, planning
from .models import Operation, Outbox

HA_SOURCE = "Hyper-V-High-Availability"
LIVE = Operation.Kind.LIVE_MIGRATION
QUICK = Operation.Kind.QUICK_MIGRATION
STORAGE = Operation.Kind.STORAGE_MIGRATION
VALIDATION = Operation.Kind.VALIDATION
CREATE_CLUSTER = Operation.Kind.CREATE_CLUSTER
ADD_NODE = Operation.Kind.ADD_NODE
CONFIGURE_QUORUM = Operation.Kind.CONFIGURE_QUORUM
CONFIGURE_ROLE = Operation.Kind.CONFIGURE_ROLE
VM_POWER = Operation.Kind.VM_POWER
NEW_VM = Operation.Kind.NEW_VM
NODE_KINDS = (Operation.Kind.NODE_FAILURE, Operation.Kind.NODE_RESTART)
REPLICA_KINDS = (Operation.Kind.INITIAL_REPLICATION, Operation.Kind.PLANNED_FAILOVER)
CLUSTER_KINDS = (VALIDATION, CREATE_CLUSTER, ADD_NODE, CONFIGURE_QUORUM, CONFIGURE_ROLE, NEW_VM) + NODE_KINDS \
    + REPLICA_KINDS


class MoveError(EngineError):
    """A move the product refuses; the message says why."""


def mark(lab_id, kind, object_id=None):
    Outbox.objects.create(lab_id=lab_id, kind=kind, object_id=object_id)



def mark_role(role):
    mark(role.cluster.lab_id, Outbox.Kind.ROLE, role.pk)


def mark_operation(op):
    """Re-render what shows this operation: its role, or its wizard's progress."""
    if op.role_id:
        mark_role(op.role)
    else:
        mark(op.lab_id, Outbox.Kind.OPERATION, op.pk)


def mark_nodes(lab_id, *nodes):
    for node in nodes:
        if node is not None:
            mark(lab_id, Outbox.Kind.NODE, node.pk)


def log_event(lab, cluster, level, event_id, description, *, node=None, role=None,
              source="FailoverClustering", task_category="", sim_time=None):
    event = ClusterEvent.objects.create(
        lab=lab, cluster=cluster, sim_time=sim_time or lab.sim_now(), level=level, event_id=event_id,
        source=source, task_category=task_category, description=description, node=node, role=role)
    mark(lab.pk, Outbox.Kind.EVENT, event.pk)
    return event


def _log_move_failure(op, reason, sim_time):
    """Event 21502 (Hyper-V-High-Availability) for a live migration that did not happen."""
    vm = op.virtual_machine
    role = op.role
    target = op.target_node.name if op.target_node else "another node"
    what = "Live migration" if op.kind == LIVE else op.get_kind_display()
    log_event(op.lab, role.cluster, ClusterEvent.Level.ERROR, 21502,
              f"{what} of 'Virtual Machine {vm.name}' to {target} failed. {reason}",
              node=op.source_node, role=role, source=HA_SOURCE, sim_time=sim_time)


# -- requesting ---------------------------------------------------------------

@dataclass
class MoveResult:
    started: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (role, reason)


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
        reason = placement.ineligibility(vmf, nf, source, planning.KIND_TO_PLACEMENT[kind])
        summary = ""
        if reason is None:
            try:
                summary = planning.plan_move(kind, vm, cluster, vm.host_node, by_name[name])["summary"]
            except planning.PlanError as exc:
                reason = str(exc)
        options.append({"node": by_name[name], "facts": nf, "reason": reason, "summary": summary})
    return options


def best_node_for(role, kind, reserved=None):
    vm = role.virtual_machine
    nodes = facts.node_facts(role.cluster)
    name = placement.best_possible_node(facts.vm_facts(vm), list(nodes.values()),
                                        facts.preferred_owner_names(role),
                                        planning.KIND_TO_PLACEMENT[kind], reserved)
    return Node.objects.get(cluster=role.cluster, name=name) if name else None


def _check_target(role, kind, target, exclude_op=None):
    vm = role.virtual_machine
    nodes = facts.node_facts(role.cluster, exclude_op)
    if target.name not in nodes:
        raise MoveError(f"{target.name} is not a node of {role.cluster.name}.")
    reason = placement.ineligibility(facts.vm_facts(vm), nodes[target.name], nodes.get(vm.host_node.name),
                                     planning.KIND_TO_PLACEMENT[kind])
    if reason:
        raise MoveError(reason)


def request_moves(user, roles, kind, target=None, sim_now=None):
    """Queue a live or quick migration of each role's VM (to `target`, or to
    the best possible node), then start what the limits allow. `sim_now` is
    given when the engine itself asks (drain, failback) inside a tick."""
    result = MoveResult()
    reserved = {}
    for role in roles:
        vm = getattr(role, "virtual_machine", None)  # a Replica Broker or file server role has none
        try:
            with transaction.atomic():
                lab = role.cluster.lab
                if vm is None:
                    raise MoveError(f"{role.name} is not a virtual machine.")
                if kind == LIVE and not role.cluster.version.live_migration:
                    raise MoveError("Windows Server 2008 has no live migration; use Quick Migration.")
                if role.cluster.state != "Running":
                    raise MoveError(f"The cluster {role.cluster.name} is not running.")
                chosen = target
                if chosen is None:
                    chosen = best_node_for(role, kind, reserved)
                    if chosen is None:
                        raise MoveError(f"No node can host {vm.name} now: every other node is down, paused, "
                                        "short of memory or cannot reach its storage.")
                _check_target(role, kind, chosen)
                op = Operation.objects.create(
                    lab=lab, kind=kind, role=role, virtual_machine=vm, source_node=vm.host_node,
                    target_node=chosen, requested_by=user, was_running=vm.is_running,
                    queued_at=sim_now or lab.sim_now())
                if vm.is_running:
                    reserved[chosen.name] = reserved.get(chosen.name, 0) + vm.memory_mb
                mark_role(role)
            result.started.append(op)
        except IntegrityError:
            result.refused.append((role, f"{role.name} is already being moved."))
        except MoveError as exc:
            result.refused.append((role, str(exc)))
            if kind == LIVE and vm is not None and role.cluster.version.live_migration:
                # The product reports a refused live migration as it does a failed one.
                lab = role.cluster.lab
                log_event(lab, role.cluster, ClusterEvent.Level.ERROR, 21502,
                          f"Live migration of 'Virtual Machine {vm.name}' failed. {exc}",
                          node=vm.host_node, role=role, source=HA_SOURCE)
    if result.started:
        start_queued(result.started[0].lab, sim_now)
        for op in result.started:
            op.refresh_from_db()
    return result


def request_storage_move(user, role, target_disk):
    vm = role.virtual_machine
    cluster = role.cluster
    if cluster.version.order < 3:
        raise MoveError("Virtual machine storage migration needs Windows Server 2012 or later.")
    if target_disk.pk not in {d.pk for d in planning.storage_targets(cluster, vm)}:
        raise MoveError(f"{target_disk.name} cannot receive the storage of {vm.name}.")
    needed = sum(h.file_size_bytes for h in vm.hard_disks.all())
    if needed > target_disk.disk.free_bytes:
        raise MoveError(f"{target_disk.name} has {target_disk.disk.free_bytes // 2**30} GB free; "
                        f"{vm.name} needs {needed // 2**30} GB.")
    try:
        with transaction.atomic():
            op = Operation.objects.create(
                lab=cluster.lab, kind=STORAGE, role=role, virtual_machine=vm, source_node=vm.host_node,
                target_node=vm.host_node, target_disk=target_disk, requested_by=user,
                was_running=vm.is_running, queued_at=cluster.lab.sim_now())
            mark_role(role)
    except IntegrityError:
        raise MoveError(f"{role.name} is already being moved.") from None
    start_queued(cluster.lab)
    op.refresh_from_db()
    return op


# -- running ------------------------------------------------------------------

def _busy_hosts(lab, kind):
    counts = {}
    for src, dst in Operation.objects.filter(lab=lab, state=Operation.State.RUNNING, kind=kind) \
            .values_list("source_node_id", "target_node_id"):
        for host in {src, dst}:
            counts[host] = counts.get(host, 0) + 1
    return counts


def start_queued(lab, sim_now=None, queue_changed=False):
    """Start queued moves in order while the per-host limits allow.

    The moves left waiting are re-rendered (their place in the queue) only
    when the queue moved: something started, or the caller says a move left it.
    """
    lab.refresh_from_db(fields=["sim_anchor", "wall_anchor", "speed"])
    sim_now = sim_now or lab.sim_now()
    started = []
    queued = list(Operation.objects.filter(lab=lab, state=Operation.State.QUEUED)
                  .select_related("role__cluster", "virtual_machine__host_node", "source_node",
                                  "target_node", "target_disk__disk"))
    if not queued:
        return started
    busy = {k: _busy_hosts(lab, k) for k in (LIVE, STORAGE)}
    waiting = []
    for op in queued:
        cluster = op.role.cluster
        if op.kind in busy and op.was_running:
            limit = cluster.simultaneous_live_migrations if op.kind == LIVE else cluster.simultaneous_storage_migrations
            hosts = {op.source_node_id, op.target_node_id}
            if any(busy[op.kind].get(h, 0) >= limit for h in hosts):
                waiting.append(op)
                continue
            for h in hosts:
                busy[op.kind][h] = busy[op.kind].get(h, 0) + 1
        _start(op, sim_now)
        started.append(op)
    if started or queue_changed:
        for op in waiting:
            mark_role(op.role)
    return started


def _start(op, sim_now):
    with transaction.atomic():
        vm = op.virtual_machine
        try:
            if op.kind != STORAGE:
                _check_target(op.role, op.kind, op.target_node, exclude_op=op)
            plan = planning.plan_move(op.kind, vm, op.role.cluster, op.source_node, op.target_node,
                                      op.target_disk, exclude_op=op)
        except (MoveError, planning.PlanError) as exc:
            _finish(op, Operation.State.FAILED, sim_now, str(exc))
            return
        claimed = Operation.objects.filter(pk=op.pk, state=Operation.State.QUEUED).update(
            state=Operation.State.RUNNING, plan=plan, started_at=sim_now, phase_index=0,
            next_due_at=sim_now)
        if not claimed:
            return
        op.state, op.plan, op.started_at, op.phase_index = Operation.State.RUNNING, plan, sim_now, 0
        mark_role(op.role)
    advance(op, sim_now)


def advance(op, sim_now):
    """Apply every transition of `op` due by `sim_now`, in one transaction."""
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
            _enter_phase(op, phases[k], sim_now)
        op.phase_index = entered
        if done:
            _complete(op, op.started_at + timedelta(seconds=op.total_s))
        mark_operation(op)
    if done:
        start_queued(op.lab, sim_now, queue_changed=True)
    return True


def _resources(role):
    return Resource.objects.filter(role=role)


def _switch_owner(op):
    """The VM now runs on the target: owner node, host, role-owned disks."""
    vm, role, target = op.virtual_machine, op.role, op.target_node
    vm.host_node = target
    vm.save(update_fields=["host_node"])
    role.owner_node = target
    role.save(update_fields=["owner_node"])
    ClusterDisk.objects.filter(role=role).update(owner_node=target)
    mark_nodes(op.lab_id, op.source_node, target)


def _enter_phase(op, phase, sim_now):
    if op.kind == VM_POWER:
        from . import roles
        roles.enter_power_phase(op, phase)
        return
    if op.kind in NODE_KINDS:
        from . import failures
        failures.enter_phase(op, phase, sim_now)
        return
    if op.kind in REPLICA_KINDS:
        from . import replication
        replication.enter_phase(op, phase)
        return
    if op.kind == CONFIGURE_ROLE and phase["state"] == "Configuring":
        from . import roles
        roles.configure_one(op, phase)
        return
    if op.kind == CONFIGURE_ROLE and phase["state"] == "Broker":
        from . import replication
        replication.configure_broker(op, phase)
        return
    if op.kind == ADD_NODE and phase["state"] == "Joining":
        from . import clusters
        clusters.node_joining(op, phase)
        return
    if op.kind in CLUSTER_KINDS:
        return  # their progress is derived from phase_index
    vm, role, name = op.virtual_machine, op.role, phase["name"]
    if op.kind == LIVE and op.plan.get("live"):
        vm.migration_state = {"Setup": MigrationState.SETUP, "Data Transfer": MigrationState.DATA_TRANSFER,
                              "Move": MigrationState.MOVE}[phase["state"]]
        vm.save(update_fields=["migration_state"])
        if name == "Resume on the target":
            _switch_owner(op)
    elif op.kind in (LIVE, QUICK):
        if name == "Save state":
            vm.state = VirtualMachine.State.SAVING
            vm.save(update_fields=["state"])
            _set_role(role, Role.State.PENDING, Resource.State.OFFLINE_PENDING)
        elif name == "Take offline":
            if op.was_running:
                vm.state = VirtualMachine.State.SAVED
                vm.save(update_fields=["state"])
            _set_role(role, Role.State.OFFLINE, Resource.State.OFFLINE)
        elif name == "Move disk ownership":
            _set_role(role, Role.State.PENDING, None)
        elif name == "Bring online":
            _switch_owner(op)
            if op.was_running:
                vm.state = VirtualMachine.State.STARTING
                vm.save(update_fields=["state"])
                _set_role(role, Role.State.PENDING, Resource.State.ONLINE_PENDING)
    elif op.kind == STORAGE and name == "Switch to the destination":
        _repoint_storage(op)


def _set_role(role, state, resource_state):
    role.state = state
    role.save(update_fields=["state"])
    if resource_state:
        _resources(role).update(state=resource_state)


def _repoint_storage(op):
    vm, dest = op.virtual_machine, op.target_disk
    folder = (rf"{dest.volume_path}\{vm.name}" if dest.volume_path else vm.name)
    moved = 0
    for vhd in vm.hard_disks.all():
        vhd.path = rf"{folder}\{vhd.path.rsplit(chr(92), 1)[-1]}"
        vhd.disk_id = dest.disk_id
        moved += vhd.file_size_bytes
        vhd.save(update_fields=["path", "disk"])
    source_lun = vm.configuration_disk
    vm.configuration_path, vm.configuration_disk_id = folder, dest.disk_id
    vm.save(update_fields=["configuration_path", "configuration_disk"])
    dest.disk.used_bytes += moved
    dest.disk.save(update_fields=["used_bytes"])
    if source_lun is not None:
        source_lun.used_bytes = max(source_lun.used_bytes - moved, 0)
        source_lun.save(update_fields=["used_bytes"])


def _complete(op, sim_time):
    from . import clusters

    vm, role = op.virtual_machine, op.role
    if op.kind == CREATE_CLUSTER:
        clusters.create_cluster(op, sim_time)
    elif op.kind == ADD_NODE:
        clusters.nodes_joined(op, sim_time)
    elif op.kind == CONFIGURE_QUORUM:
        clusters.apply_quorum(op)
    elif op.kind == VM_POWER:
        from . import roles
        roles.complete_power(op, sim_time)
    elif op.kind == CONFIGURE_ROLE:
        pass
    elif op.kind == NEW_VM:
        from . import vms
        vms.complete_new_vm(op)
    elif op.kind in NODE_KINDS:
        from . import failures
        failures.complete(op, sim_time)
    elif op.kind in REPLICA_KINDS:
        from . import replication
        replication.complete(op, sim_time)
    elif op.kind == VALIDATION:
        pass
    elif op.kind == LIVE and op.plan.get("live"):
        vm.migration_state = MigrationState.NO_MIGRATION
        vm.save(update_fields=["migration_state"])
    elif op.kind in (LIVE, QUICK):
        if op.was_running:
            vm.state = VirtualMachine.State.RUNNING
            vm.save(update_fields=["state"])
            _set_role(role, Role.State.ONLINE, Resource.State.ONLINE)
        else:
            _set_role(role, Role.State.OFFLINE, Resource.State.OFFLINE)
    _finish(op, Operation.State.COMPLETED, sim_time)


def _finish(op, state, sim_time, message=""):
    from . import clusters

    Operation.objects.filter(pk=op.pk).update(state=state, finished_at=sim_time, next_due_at=None,
                                              message=message)
    op.state, op.finished_at, op.message = state, sim_time, message
    if op.kind == VALIDATION:
        clusters.finish_validation(op, cancelled=state == Operation.State.CANCELLED)
    elif state == Operation.State.FAILED:
        _log_move_failure(op, message, sim_time)
    mark_operation(op)
    mark_nodes(op.lab_id, op.source_node, op.target_node)
    if op.source_node is not None and op.kind in (LIVE, QUICK):
        from . import failures
        failures.drain_progress(op.source_node)


def cancel(op, user=None):
    """Cancel Live Migration: a queued move is dropped; a running one stops
    before the VM switches hosts, and the VM keeps running on the source."""
    with transaction.atomic():
        op = Operation.objects.select_for_update(of=("self",)).select_related(
            "lab", "role__cluster", "virtual_machine", "source_node", "target_node").get(pk=op.pk)
        if not op.is_active:
            raise MoveError("This move has already finished.")
        sim_now = op.lab.sim_now()
        if op.state == Operation.State.RUNNING:
            phase = op.current_phase(sim_now)
            if op.kind != LIVE or (phase and phase["state"] == "Move"):
                raise MoveError("The virtual machine is already switching to the target: too late to cancel.")
            vm = op.virtual_machine
            vm.migration_state = MigrationState.NO_MIGRATION
            vm.save(update_fields=["migration_state"])
        claimed = Operation.objects.filter(pk=op.pk, state=op.state, phase_index=op.phase_index).update(
            state=Operation.State.CANCELLED, finished_at=sim_now, next_due_at=None,
            message="The live migration was cancelled.")
        if not claimed:
            raise MoveError("The move changed meanwhile; try again.")
        if op.state == Operation.State.RUNNING:
            log_event(op.lab, op.role.cluster, ClusterEvent.Level.ERROR, 21502,
                      f"Live migration of 'Virtual Machine {op.virtual_machine.name}' to {op.target_node.name} "
                      f"was cancelled. The virtual machine keeps running on {op.source_node.name}.",
                      node=op.source_node, role=op.role, source=HA_SOURCE, sim_time=sim_now)
        mark_role(op.role)
    start_queued(op.lab, queue_changed=True)


def cancel_validation(op):
    """Cancel in the Validating page: finished tests keep their results."""
    with transaction.atomic():
        op = Operation.objects.select_related("lab").get(pk=op.pk)
        if not op.is_active:
            raise MoveError("The validation has already finished.")
        sim_now = op.lab.sim_now()
        claimed = Operation.objects.filter(pk=op.pk, state=op.state, phase_index=op.phase_index).update(
            state=Operation.State.CANCELLED)
        if not claimed:
            raise MoveError("The validation moved on meanwhile; try again.")
        _finish(op, Operation.State.CANCELLED, sim_now, "Canceled by the user.")
