"""Node maintenance: Pause (Drain Roles), Resume (Fail Roles Back), Stop / Start Cluster Service.

Drained roles leave by priority, live where they can (Low priority and
stopped VMs quick-migrate, as the product does); Drain Status follows
them (effects/drain).
"""
from fcm.inventory.models import ClusterEvent, Node, Role

from .. import lifecycle
from ..effects.drain import drain_progress, move_group
from ..effects.moves import request_moves
from ..effects.nodes import active_node_operations, join
from ..errors import FailureError
from ..events import log_event
from ..models import Operation
from ..outbox import mark_nodes


def pause_node(user, node, drain):
    """Pause (-> Drain Roles): no role may move in; drained roles leave by priority."""
    node = Node.objects.select_related("cluster__lab").get(pk=node.pk)
    if node.state != Node.State.UP:
        raise FailureError(f"{node.name} is {node.get_state_display().lower()}: only a node that is up can be paused.")
    cluster = node.cluster
    sim_now = cluster.lab.sim_now()
    Node.objects.filter(pk=node.pk).update(state=Node.State.PAUSED, paused_at=sim_now,
                                           drain_status=Node.DrainStatus.IN_PROGRESS if drain else "")
    mark_nodes(cluster.lab_id, node)
    if not drain:
        return []
    owned = list(Role.objects.filter(cluster=cluster, owner_node=node).select_related(
        "cluster", "virtual_machine__host_node").order_by("-priority", "name"))
    started = []
    for role in owned:
        vm = getattr(role, "virtual_machine", None)
        if vm is None:
            move_group(role, node)
            continue
        kind = Operation.Kind.LIVE_MIGRATION
        if (not vm.is_running or role.priority <= Role.Priority.LOW
                or not cluster.version.live_migration):
            kind = Operation.Kind.QUICK_MIGRATION  # Low priority VMs quick-migrate by default
        result = request_moves(user, [role], kind)
        started += result.started
        if result.refused:
            Node.objects.filter(pk=node.pk).update(drain_status=Node.DrainStatus.FAILED)
            log_event(cluster.lab, cluster, ClusterEvent.Level.CRITICAL, 1677,
                               f"Node drain failed on cluster node {node.name}: {result.refused[0][1]}",
                               node=node, task_category="Node Mgr")
    drain_progress(node)
    return started


def resume_node(user, node, fail_back):
    """Resume (-> Fail Roles Back): the node takes roles again; drained roles come back."""
    node = Node.objects.select_related("cluster__lab").get(pk=node.pk)
    if node.state != Node.State.PAUSED:
        raise FailureError(f"{node.name} is not paused.")
    paused_at = node.paused_at
    Node.objects.filter(pk=node.pk).update(state=Node.State.UP, drain_status="", paused_at=None)
    mark_nodes(node.cluster.lab_id, node)
    if not fail_back or paused_at is None:
        return []
    drained = Operation.objects.filter(source_node=node, state=Operation.State.COMPLETED, finished_at__gte=paused_at,
                                       kind__in=[Operation.Kind.LIVE_MIGRATION, Operation.Kind.QUICK_MIGRATION])
    role_ids = list(drained.values_list("role_id", flat=True).distinct())
    started = []
    node.refresh_from_db()
    for role in Role.objects.filter(pk__in=role_ids).select_related("cluster", "virtual_machine__host_node") \
            .order_by("-priority", "name"):
        if role.owner_node_id == node.pk:
            continue
        vm = getattr(role, "virtual_machine", None)
        kind = (Operation.Kind.LIVE_MIGRATION if vm is not None and vm.is_running and
                role.cluster.version.live_migration and role.priority > Role.Priority.LOW
                else Operation.Kind.QUICK_MIGRATION)
        started += request_moves(user, [role], kind, node).started
    return started


def stop_cluster_service(user, node):
    """More Actions -> Stop Cluster Service: drain the roles, then the node is Down."""
    node = Node.objects.select_related("cluster__lab").get(pk=node.pk)
    if node.state not in (Node.State.UP, Node.State.PAUSED):
        raise FailureError(f"The Cluster service is not running on {node.name}.")
    Node.objects.filter(pk=node.pk).update(stopping_service=True)
    if node.state == Node.State.PAUSED:
        Node.objects.filter(pk=node.pk).update(state=Node.State.UP)
    node.refresh_from_db()
    return pause_node(user, node, drain=True)


def start_cluster_service(user, node):
    """More Actions -> Start Cluster Service: Down -> Joining -> Up. On a quarantined node it also
    clears the quarantine (Start-ClusterNode -ClearQuarantine)."""
    node = Node.objects.select_related("cluster", "lab").get(pk=node.pk)
    if node.power_state != Node.PowerState.ON:
        raise FailureError(f"{node.name} is turned off: power it on first.")
    if node.state not in (Node.State.DOWN, Node.State.QUARANTINED):
        raise FailureError(f"The Cluster service is already running on {node.name}.")
    busy = active_node_operations(node)
    now = node.lab.sim_now()
    for op in busy:
        if not op.plan.get("quarantine"):
            raise FailureError(f"{node.name} is already starting or failing; wait for it to finish.")
        lifecycle.finish(op, Operation.State.CANCELLED, now, "Quarantine cleared by the administrator.")
    Node.objects.filter(pk=node.pk).update(service_stopped=False, quarantined_until=None)
    return join(user, node)
