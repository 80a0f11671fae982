"""Storage faults: a LUN fails or comes back; a node loses or regains its storage paths.

What each node may do with each disk is decided by fcm/sim/storage_paths.py;
this module applies it after every change (and after membership changes):
a CSV whose coordinator lost its path gets a new one, nodes without a path
go to redirected access (5121), a CSV nobody reaches fails (5142) and the
VMs on it stop; a plain cluster disk whose owner lost its path moves to a
node that has one (1038 on the old owner), taking its role along (the VM
cold-boots there); a LUN that is gone fails its disk resource (1034, 1069)
and the roles that need it (1205). Repairing brings the disks back online;
failed roles stay failed until someone starts them (as the product does
until RetryPeriodOnFailure, an hour, comes round).
"""
from dataclasses import replace

from django.db.models import Q

from fcm.inventory.models import Cluster, ClusterDisk, ClusterEvent, Node, Resource, Role, VirtualMachine
from fcm.sim import placement, storage_paths

from .. import lifecycle
from ..events import log_event
from ..facts import node_facts, paths_of, preferred_owner_names, vm_facts
from ..models import Operation, Outbox
from ..outbox import mark, mark_nodes, mark_role
from .failover import place_role
from .membership import check_quorum


#: States a reachable disk keeps through a reconcile: Offline (Take Offline) and the pending states of a move.
HELD_STATES = (ClusterDisk.State.OFFLINE, ClusterDisk.State.OFFLINE_PENDING, ClusterDisk.State.ONLINE_PENDING)


def reconcile(cluster, sim_time, user=None):
    """Bring ownership, CSV access and the roles that depend on each disk in line with the paths."""
    cluster.refresh_from_db()
    if cluster.state != Cluster.State.RUNNING:
        return
    running, paths = paths_of(cluster)
    lost_witness = False
    for cd in ClusterDisk.objects.filter(cluster=cluster).select_related("disk", "owner_node", "role"):
        current = cd.owner_node.name if cd.owner_node_id else ""
        reach = paths[cd.disk_id]
        owner = storage_paths.owner_for(current, running, reach, cd.disk.online)
        state = ClusterDisk.State.ONLINE if owner else ClusterDisk.State.FAILED
        if owner and cd.state in HELD_STATES:
            state = cd.state  # taken offline by the administrator, or moving between nodes (kinds/move_storage)
        redirected = False
        if cd.assignment == ClusterDisk.Assignment.CSV:
            access = storage_paths.csv_access(running, reach, cd.disk.online)
            redirected = storage_paths.REDIRECTED in access.values()
            if redirected and not cd.redirected:
                names = ", ".join(sorted(n for n, a in access.items() if a == storage_paths.REDIRECTED))
                log_event(cluster.lab, cluster, ClusterEvent.Level.INFORMATION, 5121,
                                   f"Cluster Shared Volume '{cd.volume_path}' ('{cd.name}') is no longer directly "
                                   f"accessible from cluster node {names}. All I/O to this volume will be redirected "
                                   "through the coordinator node over the network.", sim_time=sim_time,
                                   task_category="Cluster Shared Volume")
            if state == ClusterDisk.State.FAILED and cd.state != state:
                log_event(cluster.lab, cluster, ClusterEvent.Level.ERROR, 5142,
                                   f"Cluster Shared Volume '{cd.volume_path}' ('{cd.name}') is no longer accessible "
                                   "from any cluster node.", sim_time=sim_time, task_category="Cluster Shared Volume")
            blocked = {n for n, a in access.items() if a == storage_paths.NO_ACCESS}
            _stop_vms_without_storage(cluster, cd, blocked, sim_time, user)
        else:
            if state == ClusterDisk.State.FAILED and cd.state != state:
                group = cd.role.name if cd.role_id else (
                    "Cluster Group" if cd.assignment == ClusterDisk.Assignment.WITNESS else "Available Storage")
                log_event(cluster.lab, cluster, ClusterEvent.Level.ERROR, 1069,
                                   f"Cluster resource '{cd.name}' of type 'Physical Disk' in clustered role "
                                   f"'{group}' failed.", node=cd.owner_node, role=cd.role, sim_time=sim_time,
                                   task_category="Resource Control Manager")
                lost_witness |= cd.assignment == ClusterDisk.Assignment.WITNESS
            if owner and current and owner != current:
                log_event(cluster.lab, cluster, ClusterEvent.Level.ERROR, 1038,
                                   f"Ownership of cluster disk '{cd.name}' has been unexpectedly lost by this node. "
                                   "Run the Validate a Configuration wizard to check your storage configuration.",
                                   node=cd.owner_node, sim_time=sim_time, task_category="Physical Disk Resource")
            if cd.role_id:
                _follow_role_disk(cluster, cd, owner, sim_time, user)
        owner_node = Node.objects.get(cluster=cluster, name=owner) if owner else cd.owner_node
        if (state, owner_node, redirected) != (cd.state, cd.owner_node, cd.redirected):
            ClusterDisk.objects.filter(pk=cd.pk).update(state=state, owner_node=owner_node, redirected=redirected)
            mark(cluster.lab_id, Outbox.Kind.DISK, cd.pk)
    if lost_witness:
        reporter = Node.objects.filter(cluster=cluster, state=Node.State.UP).order_by("name").first()
        check_quorum(cluster.lab, cluster, sim_time, reporter)


def _vms_on(cd):
    return VirtualMachine.objects.filter(Q(configuration_disk=cd.disk) | Q(hard_disks__disk=cd.disk)) \
        .filter(role__cluster=cd.cluster).select_related("role", "host_node").distinct()


def _stop_vms_without_storage(cluster, cd, blocked, sim_time, user):
    """VMs on a CSV they can no longer reach crash; their roles fail over where the volume is reachable."""
    for vm in _vms_on(cd).filter(host_node__name__in=blocked, state__in=VirtualMachine.RUNNING_STATES):
        _storage_lost(cluster, vm.role, vm, sim_time, user, resource=f"Virtual Machine {vm.name}",
                      kind="Virtual Machine")


def _follow_role_disk(cluster, cd, owner, sim_time, user):
    """A role's own disk moved (or failed): its VM goes with it, or fails."""
    role = cd.role
    vm = getattr(role, "virtual_machine", None)
    if vm is None or role.owner_node_id is None:
        return
    if owner is None:
        if vm.state in VirtualMachine.RUNNING_STATES:
            _storage_lost(cluster, role, vm, sim_time, user, resource=cd.name, kind="Physical Disk", target=False)
        return
    if owner != role.owner_node.name and vm.state in VirtualMachine.RUNNING_STATES:
        _storage_lost(cluster, role, vm, sim_time, user, resource=cd.name, kind="Physical Disk", target=owner)


def _storage_lost(cluster, role, vm, sim_time, user, resource, kind, target=None):
    """The role's storage failed under it: the VM stops (1069); it boots on `target` (or the best
    node that reaches its storage), or the role is Failed (1205)."""
    for op in Operation.objects.filter(virtual_machine=vm, state__in=Operation.ACTIVE):
        lifecycle.finish(op, Operation.State.FAILED, sim_time, "The virtual machine lost its storage.")
    VirtualMachine.objects.filter(pk=vm.pk).update(state=VirtualMachine.State.OFF, started_at=None, migration_state=0)
    log_event(cluster.lab, cluster, ClusterEvent.Level.ERROR, 1069,
                       f"Cluster resource '{resource}' of type '{kind}' in clustered role '{role.name}' failed.",
                       node=vm.host_node, role=role, sim_time=sim_time, task_category="Resource Control Manager")
    if target is None:
        vm.refresh_from_db()
        others = [n for n in node_facts(cluster).values() if n.name != vm.host_node.name]
        target = placement.best_possible_node(replace(vm_facts(vm), running=True), others,
                                              preferred_owner_names(role), placement.QUICK)
    if not target:
        Role.objects.filter(pk=role.pk).update(state=Role.State.FAILED, information="Storage not accessible")
        Resource.objects.filter(role=role).exclude(state=Resource.State.OFFLINE).update(state=Resource.State.FAILED)
        log_event(cluster.lab, cluster, ClusterEvent.Level.ERROR, 1205,
                           f"The Cluster service failed to bring clustered role '{role.name}' completely online or "
                           "offline. No node can reach its storage.", role=role, sim_time=sim_time,
                           task_category="Resource Control Manager")
        mark_role(role)
        return
    node = Node.objects.get(cluster=cluster, name=target)
    place_role(role, vm, node, boot_by=user, sim_now=sim_time)
    mark_nodes(cluster.lab_id, vm.host_node, node)
