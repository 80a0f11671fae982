"""What a server's restart carries out, shared by the commands that plan it and the kind that runs it.

A change that waits for a restart (a domain to join, Hyper-V, software updates) is kept in the node's
`pending_changes` and takes effect when the host has booted: after Restart Server, and after any power
cycle (Simulate -> Power Off, Power On), as on a real server. The restart's length comes from
fcm.sim.servers with the host's boot and join figures of effects/nodes.py.
"""
from fcm.inventory.models import Domain, Node
from fcm.sim import servers as model

from .. import phases as keys
from ..outbox import mark_nodes
from ..phases import sequence
from .nodes import HOST_BOOT_S, JOIN_S

#: The node fields a role or feature sets once installed.
FEATURE_FIELDS = {"Hyper-V": "hyperv_installed", "Failover-Clustering": "failover_clustering_installed"}

#: What the server shows while in each phase of its restart.
RESTART_STATES = {keys.SHUT_DOWN: "Shutting down", keys.CONFIGURE_UPDATES: "Configuring updates",
                  keys.CONFIGURE_FEATURES: "Configuring features", keys.BOOT: "Boot", keys.JOIN_CLUSTER: "Joining"}


def restart_phases(node):
    """The phases of Restart Server for `node` as it is now (what is pending makes it longer)."""
    pending = node.pending_changes or {}
    months = model.months_behind(node.update_level, pending["updates"]) if pending.get("updates") else 0
    steps = model.restart_steps(HOST_BOOT_S, node.install_option, months, len(pending.get("features", ())),
                                JOIN_S if node.cluster_id else None)
    phases, _ = sequence((key, name, seconds, RESTART_STATES.get(key, ""), "") for key, name, seconds in steps)
    return phases


def apply_pending(node):
    """The host has booted: what waited for the restart takes effect (domain, roles and features, updates)."""
    pending = Node.objects.filter(pk=node.pk).values_list("pending_changes", flat=True).first() or {}
    if not pending:
        return False
    fields = {"pending_changes": {}}
    if "domain" in pending:
        fields["domain"] = (Domain.objects.filter(lab_id=node.lab_id, name__iexact=pending["domain"]).first()
                            if pending["domain"] else None)
    for name in pending.get("features", ()):
        if name in FEATURE_FIELDS:
            fields[FEATURE_FIELDS[name]] = True
    if pending.get("updates"):
        fields["update_level"] = pending["updates"]
    Node.objects.filter(pk=node.pk).update(**fields)
    mark_nodes(node.lab_id, node)
    return True
