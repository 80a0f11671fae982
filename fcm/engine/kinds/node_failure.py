"""A node failure: power lost (or heartbeats lost), then removed from the membership and its roles failed over.

On 2016+ a node whose heartbeats stop is first Isolated for the resiliency
period, its VMs still running (Unmonitored); isolated too often, it is
quarantined (effects/membership).
"""
from datetime import timedelta

from fcm.inventory.models import Cluster, ClusterEvent, Node, VirtualMachine
from fcm.sim.membership import quarantines

from .. import phases
from ..effects.failover import abort_operations_on, fail_over_roles
from ..effects.membership import check_quorum, enter_isolated, quarantine, recent_isolations
from ..effects.storage import reconcile as reconcile_storage
from ..events import log_event
from ..models import Operation
from ..outbox import mark_nodes
from ..registry import OperationKind, register


def declare_down(op, node, sim_time):
    """Removed from the membership (1135): quorum is checked, then the roles fail over."""
    cluster = node.cluster
    if cluster is None:
        return
    cluster.refresh_from_db()
    if cluster.state != Cluster.State.RUNNING:
        Node.objects.filter(pk=node.pk).update(state=Node.State.DOWN, dynamic_weight=0, drain_status="")
        mark_nodes(op.lab_id, node)
        return  # the cluster already stopped (quorum lost): nothing fails over
    # Whatever still involves it fails first: a move started from it after it crashed (the cluster did not
    # know yet) would otherwise hold its VM, which must fail over now.
    abort_operations_on(node, sim_time, f"{node.name} was removed from the cluster membership.", exclude=op,
                        clustered_only=node.power_state == Node.PowerState.ON)
    if node.power_state == Node.PowerState.ON:
        # Removed while running (isolated): its Cluster service stops and so do its clustered VMs,
        # so that a partition never runs a role twice.
        VirtualMachine.objects.filter(host_node=node, role__isnull=False).update(
            state=VirtualMachine.State.OFF, started_at=None, migration_state=0)
    Node.objects.filter(pk=node.pk).update(state=Node.State.DOWN, dynamic_weight=0, drain_status="")
    others = Node.objects.filter(cluster=cluster, state=Node.State.UP).exclude(pk=node.pk).order_by("name").first()
    log_event(op.lab, cluster, ClusterEvent.Level.CRITICAL, 1135,
                       f"Cluster node '{node.name}' was removed from the active failover cluster membership. "
                       "The Cluster service on this node may have stopped. This could also be due to the node "
                       "having lost communication with other active nodes in the failover cluster.",
                       node=others, sim_time=sim_time, task_category="Node Mgr")
    mark_nodes(op.lab_id, node)
    if op.plan.get("isolation") and node.power_state == Node.PowerState.ON and quarantines(
            recent_isolations(node, sim_time), cluster.quarantine_threshold):
        quarantine(op.requested_by, node, sim_time, drain=False)
    if not check_quorum(op.lab, cluster, sim_time, others, lost=node):
        return
    fail_over_roles(op, cluster, node, sim_time)
    reconcile_storage(cluster, sim_time)


def power_lost(op, node):
    """Everything on the host stops now; clustered roles still look Online until detection."""
    abort_operations_on(node, op.started_at, f"{node.name} stopped responding during the operation.", exclude=op)
    Node.objects.filter(pk=node.pk).update(power_state=Node.PowerState.OFF)
    VirtualMachine.objects.filter(host_node=node).update(state=VirtualMachine.State.OFF, started_at=None,
                                                         migration_state=0)
    mark_nodes(op.lab_id, node)


@register
class NodeFailure(OperationKind):
    kind = Operation.Kind.NODE_FAILURE

    def enter_phase(self, op, phase, sim_now):
        node = Node.objects.select_related("cluster").get(pk=op.source_node_id)
        when = op.started_at + timedelta(seconds=phase["start_s"])
        if phase["key"] == phases.POWER_LOST:
            power_lost(op, node)
        elif phase["key"] == phases.ISOLATED:
            enter_isolated(op, node, when)
        elif phase["key"] == phases.REMOVED_FROM_MEMBERSHIP:
            declare_down(op, node, when)
        # HEARTBEATS_LOST (heartbeats being missed) is a wait.
