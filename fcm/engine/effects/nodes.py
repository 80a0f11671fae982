"""A node's own operations: a failure's detection, a restart, a Cluster service joining.

Node failures and restarts (kinds/node_failure, kinds/node_restart) begin
through `node_operation`: from the Simulate menu (commands/faults.py), the
node's More Actions (commands/nodes.py) and membership changes (isolation,
quarantine, forming again: effects/membership.py).
"""
from .. import lifecycle
from ..models import Operation
from ..phases import JOIN_CLUSTER, phase

#: Power-on self test and Windows boot of a physical host.
HOST_BOOT_S = 120.0
#: Joining: the Cluster service starts and syncs the cluster database.
JOIN_S = 5.0


def node_operation(user, node, kind, phases, sim_now=None, extra=None):
    """A node operation on the engine's clock (`sim_now` inside a tick), its phases applied as they fall due."""
    plan = lifecycle.make_plan(phases, f"{kind} {node.name}", **(extra or {}))
    return lifecycle.begin(node.lab, kind, plan, sim_now=sim_now, cluster=node.cluster, source_node=node,
                           target_node=node, requested_by=user, was_running=False)


def join(user, node, sim_time=None):
    """The node's Cluster service starts and joins (or, when the cluster is down, tries to form it)."""
    return node_operation(user, node, Operation.Kind.NODE_RESTART,
                          [phase(JOIN_CLUSTER, "Joining the cluster", 0.0, JOIN_S, "Joining")], sim_now=sim_time)


def active_node_operations(node):
    """The node's failure or restart under way (detection, boot, isolation, quarantine), if any."""
    return Operation.objects.filter(source_node=node, state__in=Operation.ACTIVE,
                                    kind__in=[Operation.Kind.NODE_FAILURE, Operation.Kind.NODE_RESTART])
