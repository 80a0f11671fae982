"""A node's drain and the roles that come back: Drain Status, roles without a VM, failback."""
from fcm.inventory.models import ClusterDisk, Node, Role

from ..models import Operation
from ..outbox import mark_nodes, mark_role
from .moves import request_moves


def drain_progress(node):
    """Drain In Progress -> Completed once no move from the node is left (Failed stays)."""
    node.refresh_from_db()
    if node.drain_status != Node.DrainStatus.IN_PROGRESS:
        return
    if Operation.objects.filter(source_node=node, state__in=Operation.ACTIVE).exists():
        return
    failed = Operation.objects.filter(source_node=node, state=Operation.State.FAILED,
                                      finished_at__gte=node.paused_at).exists() if node.paused_at else False
    Node.objects.filter(pk=node.pk).update(
        drain_status=Node.DrainStatus.FAILED if failed else Node.DrainStatus.COMPLETED)
    if node.stopping_service:
        # Stop Cluster Service: the roles have left; the node leaves the membership gracefully,
        # handing its vote over (dynamic quorum), so no failover is needed.
        Node.objects.filter(pk=node.pk).update(state=Node.State.DOWN, dynamic_weight=0, stopping_service=False,
                                               service_stopped=True, drain_status="", paused_at=None)
    mark_nodes(node.lab_id, node)


def move_group(role, node):
    """A role without a virtual machine (Replica Broker, file server) moves as a group: offline here,
    online on the first other node that is up, in a moment; its disks follow."""
    target = Node.objects.filter(cluster=role.cluster, state=Node.State.UP, power_state=Node.PowerState.ON) \
        .exclude(pk=node.pk).order_by("name").first()
    if target is None:
        return
    Role.objects.filter(pk=role.pk).update(owner_node=target)
    ClusterDisk.objects.filter(role=role).update(owner_node=target)
    mark_role(role)


def apply_failback(user, node, sim_time):
    """A preferred owner is back: roles that allow failback move to it (now, or within their hours)."""
    started = []
    roles = (Role.objects.filter(cluster=node.cluster, failback=Role.Failback.ALLOW,
                                 preferred_owner_entries__rank=1, preferred_owner_entries__node=node)
             .exclude(owner_node=node).select_related("cluster", "virtual_machine__host_node").order_by("-priority"))
    for role in roles:
        start, end = role.failback_window_start, role.failback_window_end
        if start is not None and end is not None:
            hour = sim_time.hour
            inside = start <= hour < end if start <= end else (hour >= start or hour < end)
            if not inside:
                continue
        vm = getattr(role, "virtual_machine", None)
        live = vm is not None and vm.is_running and role.cluster.version.live_migration
        started += request_moves(user, [role], Operation.Kind.LIVE_MIGRATION if live
                                          else Operation.Kind.QUICK_MIGRATION, node, sim_now=sim_time).started
    return started
