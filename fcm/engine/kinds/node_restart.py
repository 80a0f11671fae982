"""A node restart: (Restart Server: Windows shuts down and configures what waited for the restart,) the host
boots (or waits out a quarantine) and what waited for a restart takes effect, then its Cluster service joins —
or, when the cluster is down, tries to form it with quorum; a preferred owner back Up takes its roles back
(failback). A server in no cluster is On once booted."""
from fcm.inventory.models import Cluster, Node

from .. import phases
from ..effects import membership
from ..effects.drain import apply_failback
from ..effects.servers import apply_pending
from ..effects.storage import reconcile as reconcile_storage
from ..models import Operation, Outbox
from ..outbox import mark, mark_nodes
from ..registry import OperationKind, register


def complete(op, sim_time):
    """Joined: Up (a majority again ends a forced quorum), storage and membership reconciled, failback."""
    node = Node.objects.select_related("cluster__lab").get(pk=op.source_node_id)
    cluster = node.cluster
    if cluster is None:
        apply_pending(node)
        Node.objects.filter(pk=node.pk).update(power_state=Node.PowerState.ON, state="")
        mark_nodes(op.lab_id, node)
        return
    cluster.refresh_from_db()
    if cluster.state != Cluster.State.RUNNING or op.plan.get("force"):
        if membership.try_form(cluster, node, sim_time, op.requested_by, forced=bool(op.plan.get("force"))):
            reconcile_storage(cluster, sim_time)
        return
    Node.objects.filter(pk=node.pk).update(power_state=Node.PowerState.ON, state=Node.State.UP,
                                           dynamic_weight=node.node_weight, drain_status="", paused_at=None,
                                           service_stopped=False)
    mark_nodes(op.lab_id, node)
    if cluster.forced_quorum and membership.has_quorum(
            cluster, list(Node.objects.filter(cluster=cluster, state__in=membership.MEMBERS,
                                              power_state=Node.PowerState.ON)),
            membership.quorum_total(cluster, [])):
        type(cluster).objects.filter(pk=cluster.pk).update(forced_quorum=False)  # a majority again
        mark(cluster.lab_id, Outbox.Kind.CLUSTER, cluster.pk)
    reconcile_storage(cluster, sim_time)
    membership.reconcile(cluster, sim_time, op.requested_by)  # still cut off? isolated again
    node.refresh_from_db()
    if node.state == Node.State.UP:
        apply_failback(op.requested_by, node, sim_time)


@register
class NodeRestart(OperationKind):
    kind = Operation.Kind.NODE_RESTART

    def enter_phase(self, op, phase, sim_now):
        # Configuring updates and features, BOOT and QUARANTINED are waits.
        if phase["key"] == phases.SHUT_DOWN and Node.objects.filter(pk=op.source_node_id).update(
                power_state=Node.PowerState.RESTARTING):
            mark_nodes(op.lab_id, op.source_node)
        if phase["key"] == phases.JOIN_CLUSTER:
            apply_pending(op.source_node)  # booted
            if Node.objects.filter(pk=op.source_node_id, cluster__isnull=False).update(
                    power_state=Node.PowerState.ON, state=Node.State.JOINING, quarantined_until=None):
                mark_nodes(op.lab_id, op.source_node)

    def complete(self, op, sim_time):
        complete(op, sim_time)
