"""Failover: a failed node's roles are placed by priority on the best possible nodes, where their VMs boot.

Detection follows the product (fcm.md section 8): a node is declared down
after SameSubnetDelay x SameSubnetThreshold without heartbeats (5 s on
2008-2012, 10 s on 2016+), event 1135; the survivors check quorum
(fcm/sim/quorum.py) — without it the cluster stops (event 1177) and nothing
runs; with it the failed node's roles go Pending and are placed by priority
(High, Medium, Low; No Auto Start stays off) on the best possible node with
memory for them, where the VM cold-boots (its unsaved state is lost). A
role that fits nowhere stays Failed (event 1205).
"""
from dataclasses import replace

from fcm.inventory.models import ClusterDisk, ClusterEvent, Node, Resource, Role, VirtualMachine
from fcm.sim import placement

from .. import lifecycle
from ..events import log_event
from ..facts import node_facts, preferred_owner_names, vm_facts
from ..models import Operation
from ..outbox import mark_role
from .power import START, request_power


def abort_operations_on(node, sim_time, reason, exclude=None, clustered_only=False):
    """Moves and state changes involving a node that stopped (or left the cluster) fail: those from it,
    moves to it, and whatever a VM on it is doing (a checkpoint, a merge). `clustered_only`: the node still
    runs (it left the membership), so only what its clustered VMs do stops; Hyper-V goes on with the rest."""
    moves = [Operation.Kind.LIVE_MIGRATION, Operation.Kind.QUICK_MIGRATION]
    active = Operation.objects.filter(state__in=Operation.ACTIVE)
    on_node = active.filter(virtual_machine__host_node=node)
    if clustered_only:
        on_node = on_node.filter(virtual_machine__role__isnull=False)
    doomed = active.filter(source_node=node, kind__in=moves + [Operation.Kind.VM_POWER,
                                                               Operation.Kind.STORAGE_MIGRATION]) | \
        active.filter(target_node=node, kind__in=moves) | on_node
    for other in doomed.exclude(pk=getattr(exclude, "pk", None)).distinct():
        lifecycle.finish(other, Operation.State.FAILED, sim_time, reason)


def fail_over_roles(op, cluster, failed, sim_time):
    """Place the failed node's roles by priority on the best possible nodes; the VMs boot there."""
    owned = list(Role.objects.filter(cluster=cluster, owner_node=failed).select_related("virtual_machine")
                 .order_by("-priority", "name"))
    reserved = {}
    for role in owned:
        vm = getattr(role, "virtual_machine", None)
        was_online = role.state in (Role.State.ONLINE, Role.State.PARTIAL_ONLINE, Role.State.PENDING)
        log_event(op.lab, cluster, ClusterEvent.Level.ERROR, 1069,
                           f"Cluster resource 'Virtual Machine {role.name}' of type 'Virtual Machine' in clustered "
                           f"role '{role.name}' failed.", node=None, role=role, sim_time=sim_time,
                           task_category="Resource Control Manager")
        if vm is None:
            continue
        nodes = node_facts(cluster)
        # The VM will boot there, so it needs its memory (it is Off since the crash).
        facts = replace(vm_facts(vm), running=was_online and role.priority != Role.Priority.NO_AUTO_START)
        target = placement.best_possible_node(facts, list(nodes.values()), preferred_owner_names(role),
                                              placement.QUICK, reserved)
        if target is None:
            Role.objects.filter(pk=role.pk).update(state=Role.State.FAILED, information="No node can host it")
            Resource.objects.filter(role=role, virtual_machine=vm).update(state=Resource.State.FAILED)
            log_event(op.lab, cluster, ClusterEvent.Level.ERROR, 1205,
                               f"The Cluster service failed to bring clustered role '{role.name}' completely online "
                               "or offline. No node has the memory or the storage paths it needs.",
                               role=role, sim_time=sim_time, task_category="Resource Control Manager")
            mark_role(role)
            continue
        node = Node.objects.get(cluster=cluster, name=target)
        if role.priority == Role.Priority.NO_AUTO_START or not was_online:
            place_role(role, vm, node)
            Role.objects.filter(pk=role.pk).update(state=Role.State.OFFLINE)
            Resource.objects.filter(role=role).update(state=Resource.State.OFFLINE)
            mark_role(role)
            continue
        reserved[target] = reserved.get(target, 0) + vm.memory_mb
        place_role(role, vm, node, boot_by=op.requested_by, sim_now=sim_time)
    # The disks no role holds go to a member: one that is up, else a paused one (a paused node still owns
    # resources; it only takes no new roles). Never to nobody: a disk always has its owner.
    members = Node.objects.filter(cluster=cluster, state__in=(Node.State.UP, Node.State.PAUSED)).exclude(pk=failed.pk)
    heir = sorted(members, key=lambda n: (n.state != Node.State.UP, n.name))
    if heir:
        ClusterDisk.objects.filter(cluster=cluster, owner_node=failed).exclude(role__isnull=False).update(
            owner_node=heir[0])


def place_role(role, vm, node, boot_by=None, sim_now=None):
    """A failed-over role now belongs to `node` (VM host, owner, role disks);
    with `boot_by`, its VM cold-boots there."""
    VirtualMachine.objects.filter(pk=vm.pk).update(host_node=node, state=VirtualMachine.State.OFF)
    Role.objects.filter(pk=role.pk).update(owner_node=node, information="")
    ClusterDisk.objects.filter(role=role).update(owner_node=node)
    if boot_by is not None or sim_now is not None:
        request_power(boot_by, VirtualMachine.objects.get(pk=vm.pk), START,
                                    sim_now=sim_now)
