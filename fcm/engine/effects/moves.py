"""Moving a role between nodes: queueing the moves, switching the owner, the role's state on the way.

Shared by the live and quick migration kinds, a drain, a failback and a
quarantine; the console's Move commands are the same function.
"""
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from fcm.inventory.models import Cluster, ClusterDisk, ClusterEvent, Resource, Role, VirtualMachine
from fcm.inventory.models.vms import MigrationState

from .. import lifecycle, planning
from ..errors import MoveError, SimulatorLimitError
from ..events import HA_SOURCE, log_event
from ..models import Operation
from ..outbox import mark_nodes, mark_role

LIVE = Operation.Kind.LIVE_MIGRATION


@dataclass
class MoveResult:
    started: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (role, reason)


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
                if role.cluster.state != Cluster.State.RUNNING:
                    raise MoveError(f"The cluster {role.cluster.name} is not running.")
                chosen = target
                if chosen is None:
                    chosen = planning.best_node_for(role, kind, reserved)
                    if chosen is None:
                        raise MoveError(f"No node can host {vm.name} now: every other node is down, paused, "
                                        "short of memory or cannot reach its storage.")
                planning.check_target(role, kind, chosen)
                lifecycle.admit(lab)
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
        except SimulatorLimitError as exc:
            result.refused.append((role, str(exc)))
        except MoveError as exc:
            result.refused.append((role, str(exc)))
            if kind == LIVE and vm is not None and role.cluster.version.live_migration:
                # The product reports a refused live migration as it does a failed one.
                lab = role.cluster.lab
                log_event(lab, role.cluster, ClusterEvent.Level.ERROR, 21502,
                          f"Live migration of 'Virtual Machine {vm.name}' failed. {exc}",
                          node=vm.host_node, role=role, source=HA_SOURCE)
    if result.started:
        lifecycle.start_queued(result.started[0].lab, sim_now)
        for op in result.started:
            op.refresh_from_db()
    return result


def switch_owner(op):
    """The VM now runs on the target: owner node, host, role-owned disks."""
    vm, role, target = op.virtual_machine, op.role, op.target_node
    vm.host_node = target
    vm.save(update_fields=["host_node"])
    role.owner_node = target
    role.save(update_fields=["owner_node"])
    ClusterDisk.objects.filter(role=role).update(owner_node=target)
    mark_nodes(op.lab_id, op.source_node, target)


def set_role_state(role, state, resource_state):
    role.state = state
    role.save(update_fields=["state"])
    if resource_state:
        Resource.objects.filter(role=role).update(state=resource_state)


def log_move_failure(op, what, reason, sim_time):
    """Event 21502 (Hyper-V-High-Availability) for a move or state change of a clustered VM that did not
    happen (`what`: "Live migration", "Quick Migration"...). An unclustered VM has no cluster log."""
    vm, role = op.virtual_machine, op.role
    if role is None or vm is None:
        return
    target = op.target_node.name if op.target_node else "another node"
    log_event(op.lab, role.cluster, ClusterEvent.Level.ERROR, 21502,
              f"{what} of 'Virtual Machine {vm.name}' to {target} failed. {reason}",
              node=op.source_node, role=role, source=HA_SOURCE, sim_time=sim_time)


def enter_quick_phase(op, phase):
    """Quick migration (and a live migration of a VM that is not running): save, offline, disk, online."""
    vm, role, key = op.virtual_machine, op.role, phase["key"]
    if key == "save-state":
        vm.state = VirtualMachine.State.SAVING
        vm.save(update_fields=["state"])
        set_role_state(role, Role.State.PENDING, Resource.State.OFFLINE_PENDING)
    elif key == "take-offline":
        if op.was_running:
            vm.state = VirtualMachine.State.SAVED
            vm.save(update_fields=["state"])
        set_role_state(role, Role.State.OFFLINE, Resource.State.OFFLINE)
    elif key == "move-disk":
        set_role_state(role, Role.State.PENDING, None)
    elif key == "bring-online":
        switch_owner(op)
        if op.was_running:
            vm.state = VirtualMachine.State.STARTING
            vm.save(update_fields=["state"])
            set_role_state(role, Role.State.PENDING, Resource.State.ONLINE_PENDING)


def complete_quick(op):
    """The group is online on the target again (Running, or Offline when the VM was not running)."""
    if op.was_running:
        op.virtual_machine.state = VirtualMachine.State.RUNNING
        op.virtual_machine.save(update_fields=["state"])
        set_role_state(op.role, Role.State.ONLINE, Resource.State.ONLINE)
    else:
        set_role_state(op.role, Role.State.OFFLINE, Resource.State.OFFLINE)


def hosts_limits(op, cluster_limit, host_field):
    """{host id: moves of this kind it may run at once}: each host's own Hyper-V setting (`host_field`,
    Set-VMHost -MaximumVirtualMachineMigrations / -MaximumStorageMigrations), never more than the
    cluster allows. A source and target that are one host (a storage move) count once."""
    return {node.pk: min(cluster_limit, getattr(node, host_field))
            for node in (op.source_node, op.target_node) if node is not None}


#: The product's MigrationState for each phase state of a live plan (a cluster's or a standalone host's move).
MIGRATION_STATES = {"Setup": MigrationState.SETUP, "Data Transfer": MigrationState.DATA_TRANSFER,
                    "Move": MigrationState.MOVE}
