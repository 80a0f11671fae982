"""Add Node: each server joins in turn (Joining in Nodes, then Up); the storage every node sees is added."""
from fcm.inventory.models import ClusterDisk, Node

from .. import phases
from ..facts import eligible_disks
from ..models import Operation
from ..outbox import mark_nodes
from ..registry import OperationKind, register


def node_joining(op, phase):
    """A node of an Add Node run starts joining: it shows in Nodes as Joining."""
    cluster = op.cluster
    node = Node.objects.get(lab=op.lab, name=phase["detail"])
    next_id = (Node.objects.filter(cluster=cluster).order_by("-node_id").values_list("node_id", flat=True)
               .first() or 0) + 1
    Node.objects.filter(pk=node.pk).update(cluster=cluster, node_id=next_id, state=Node.State.JOINING,
                                           node_weight=1, dynamic_weight=0)
    mark_nodes(op.lab_id, node)


def nodes_joined(op, sim_time):
    """The joining nodes are Up; with the storage option, the disks every node sees become cluster disks."""
    cluster = op.cluster
    names = op.plan["params"]["nodes"]
    Node.objects.filter(cluster=cluster, name__in=names).update(state=Node.State.UP, dynamic_weight=1)
    if op.plan["params"].get("add_storage"):
        nodes = list(Node.objects.filter(cluster=cluster))
        count = ClusterDisk.objects.filter(cluster=cluster).count()
        for i, disk in enumerate(eligible_disks(cluster.lab, nodes), start=count + 1):
            ClusterDisk.objects.create(cluster=cluster, disk=disk, name=f"Cluster Disk {i}", owner_node=nodes[0])
    for node in Node.objects.filter(cluster=cluster, name__in=names):
        mark_nodes(cluster.lab_id, node)


@register
class AddNode(OperationKind):
    kind = Operation.Kind.ADD_NODE

    def enter_phase(self, op, phase, sim_now):
        if phase["key"] == phases.JOIN_NODE:
            node_joining(op, phase)

    def complete(self, op, sim_time):
        nodes_joined(op, sim_time)
