"""The Simulate menu: faults a trainer or trainee injects, and their repair.

A host powered off or on, a guest OS crash, a failed or repaired LUN, lost
storage paths, a disconnected adapter, cluster network or WAN link. Each
changes the lab at once; what the cluster makes of it (detection, failover,
redirected access, quorum) follows through the operations and effects.
"""
from datetime import datetime, timedelta
from dataclasses import replace

from fcm.inventory.models import (
    ClusterEvent, ClusterNetwork, Disk, DiskPath, NetworkAdapter, Node, Resource, Role, VirtualMachine, WanLink,
)
from fcm.sim import placement

from .. import lifecycle
from .. import phases as keys
from ..effects.failover import place_role
from ..effects.membership import reconcile, refresh_network_states
from ..effects.nodes import HOST_BOOT_S, JOIN_S, active_node_operations, node_operation
from ..effects.storage import reconcile as reconcile_storage
from ..effects.power import START, request_power
from ..errors import FailureError, MembershipError, ReplicationError, StorageFaultError
from ..events import log_event
from ..facts import node_facts, preferred_owner_names, vm_facts
from ..models import Operation
from ..outbox import mark_nodes, mark_role
from ..phases import phase


def crash_node(user, node):
    """Simulate -> Power Off: the host stops at once; the cluster notices after the heartbeat threshold."""
    node = Node.objects.select_related("cluster", "lab").get(pk=node.pk)
    if node.power_state == Node.PowerState.RESTARTING:
        raise FailureError(f"{node.name} is restarting; wait until it is On.")
    if node.power_state != Node.PowerState.ON:
        raise FailureError(f"{node.name} is already off.")
    active = active_node_operations(node)
    if any(not op.plan.get("isolation") and not op.plan.get("quarantine") for op in active):
        raise FailureError(f"{node.name} is already failing or restarting.")
    for op in active:  # an isolated or quarantined node loses power: that ends the wait
        lifecycle.finish(op, Operation.State.CANCELLED, node.lab.sim_now(), f"{node.name} lost power.")
    if node.state in (Node.State.ISOLATED, Node.State.QUARANTINED):
        # Already out of the membership: nothing left to detect.
        Node.objects.filter(pk=node.pk).update(state=Node.State.DOWN, power_state=Node.PowerState.OFF,
                                               quarantined_until=None)
        VirtualMachine.objects.filter(host_node=node).update(state=VirtualMachine.State.OFF, started_at=None)
        mark_nodes(node.lab_id, node)
        if node.state == Node.State.ISOLATED:
            detect_op = node_operation(user, node, Operation.Kind.NODE_FAILURE, [
                phase(keys.REMOVED_FROM_MEMBERSHIP, "Node removed from membership", 0.0, 0.0, "Detect")])
            return detect_op
        return None
    detect = 0.0
    if node.cluster_id:
        c = node.cluster
        detect = c.same_subnet_delay_ms * c.same_subnet_threshold / 1000
    phases = [phase(keys.POWER_LOST, "Power lost", 0.0, detect, "Crash"),
              phase(keys.REMOVED_FROM_MEMBERSHIP, "Node removed from membership", detect, detect, "Detect")]
    return node_operation(user, node, Operation.Kind.NODE_FAILURE, phases)


def restart_node(user, node):
    """Simulate -> Power On: the host boots, then joins its cluster."""
    node = Node.objects.select_related("cluster", "lab").get(pk=node.pk)
    if node.power_state == Node.PowerState.ON:
        raise FailureError(f"{node.name} is already running.")
    if node.power_state == Node.PowerState.RESTARTING:
        raise FailureError(f"{node.name} is restarting; it will be On by itself.")
    if active_node_operations(node).exists():
        raise FailureError(f"Wait until {node.name} has been declared down before powering it on.")
    phases = [phase(keys.BOOT, "Booting the host", 0.0, HOST_BOOT_S, "Boot"),
              phase(keys.JOIN_CLUSTER, "Joining the cluster", HOST_BOOT_S, HOST_BOOT_S + JOIN_S, "Joining")]
    return node_operation(user, node, Operation.Kind.NODE_RESTART, phases)


def guest_crash(user, role):
    """Simulate -> Guest OS crash: the Virtual Machine resource fails (1069).

    The resource's policy (fcm.md 8.2): restart on the current node up to
    RestartThreshold times in RestartPeriod (defaults 1 in 15 min); past
    that the role fails over to another node, counting toward the role's
    maximum failures in the period (n-1 in 6 h by default); past that the
    role is left Failed (1254).
    """
    role = Role.objects.select_related("cluster__lab", "virtual_machine", "owner_node").get(pk=role.pk)
    vm = getattr(role, "virtual_machine", None)
    if vm is None or vm.state != VirtualMachine.State.RUNNING:
        raise FailureError(f"{role.name} is not running: only a running guest can crash.")
    if Operation.objects.filter(virtual_machine=vm, state__in=Operation.ACTIVE).exists():
        raise FailureError(f"{role.name} is changing state or moving; wait for it to finish.")
    lab, cluster = role.cluster.lab, role.cluster
    now = lab.sim_now()
    resource = Resource.objects.filter(role=role, type=Resource.Type.VIRTUAL_MACHINE).first()
    restart_period = timedelta(milliseconds=resource.restart_period_ms if resource else 900_000)
    failover_period = timedelta(hours=role.failover_period_hours)
    log = role.failure_log or {}
    restarts = [t for t in log.get("restarts", []) if now - _t(t) <= restart_period]
    failovers = [t for t in log.get("failovers", []) if now - _t(t) <= failover_period]
    log_event(lab, cluster, ClusterEvent.Level.ERROR, 1069,
                       f"Cluster resource 'Virtual Machine {role.name}' of type 'Virtual Machine' in clustered "
                       f"role '{role.name}' failed.", node=role.owner_node, role=role, sim_time=now,
                       task_category="Resource Control Manager")
    VirtualMachine.objects.filter(pk=vm.pk).update(state=VirtualMachine.State.OFF, started_at=None)
    threshold = resource.restart_threshold if resource else 1
    if resource is None or resource.restart_action == Resource.RestartAction.NO_RESTART:
        Role.objects.filter(pk=role.pk).update(state=Role.State.FAILED)
        Resource.objects.filter(pk=getattr(resource, "pk", None)).update(state=Resource.State.FAILED)
        mark_role(role)
        return "failed"
    if len(restarts) < threshold:
        restarts.append(now.isoformat())
        Role.objects.filter(pk=role.pk).update(failure_log={**log, "restarts": restarts, "failovers": failovers})
        request_power(user, VirtualMachine.objects.get(pk=vm.pk), START)
        return "restarted"
    nodes = Node.objects.filter(cluster=cluster).count()
    limit = role.failover_threshold if role.failover_threshold is not None else max(nodes - 1, 0)
    if len(failovers) >= limit:
        Role.objects.filter(pk=role.pk).update(state=Role.State.FAILED, failure_log={**log, "restarts": restarts,
                                                                                     "failovers": failovers})
        Resource.objects.filter(pk=resource.pk).update(state=Resource.State.FAILED)
        log_event(lab, cluster, ClusterEvent.Level.ERROR, 1254,
                           f"Clustered role '{role.name}' has exceeded its failover threshold. It has exhausted the "
                           f"configured number of failover attempts within the failover period of time allotted to "
                           "it and will be left in a failed state.", role=role, sim_time=now,
                           task_category="Failover Mgr")
        mark_role(role)
        return "failed"
    failovers.append(now.isoformat())
    Role.objects.filter(pk=role.pk).update(failure_log={**log, "restarts": [], "failovers": failovers})
    vm.refresh_from_db()
    facts = replace(vm_facts(vm), running=True)
    others = [n for n in node_facts(cluster).values() if n.name != role.owner_node.name]
    target = placement.best_possible_node(facts, others, preferred_owner_names(role), placement.QUICK)
    if target is None:
        Role.objects.filter(pk=role.pk).update(state=Role.State.FAILED)
        log_event(lab, cluster, ClusterEvent.Level.ERROR, 1205,
                           f"The Cluster service failed to bring clustered role '{role.name}' completely online or "
                           "offline. No other node can host it.", role=role, sim_time=now,
                           task_category="Resource Control Manager")
        mark_role(role)
        return "failed"
    node = Node.objects.get(cluster=cluster, name=target)
    place_role(role, vm, node, boot_by=user)
    mark_nodes(lab.pk, role.owner_node, node)
    return "failed over"


def _t(text):
    return datetime.fromisoformat(text)


def set_adapter(user, adapter, connected):
    """Simulate -> Disconnect / Reconnect a network adapter (1127 on loss)."""
    adapter = NetworkAdapter.objects.select_related("node__cluster__lab", "network").get(pk=adapter.pk)
    if adapter.connected == connected:
        raise MembershipError(f"{adapter.node.name} - {adapter.name} is already "
                              f"{'connected' if connected else 'disconnected'}.")
    return _set_adapters(user, adapter.node.cluster, [adapter], connected, adapter.node)


def set_network(user, cluster_network, connected):
    """Simulate -> Disconnect / Reconnect a whole cluster network (its switch fails or comes back)."""
    cn = ClusterNetwork.objects.select_related("cluster__lab").get(pk=cluster_network.pk)
    adapters = list(NetworkAdapter.objects.filter(node__cluster=cn.cluster, network=cn.network,
                                                  connected=not connected).select_related("node"))
    if not adapters:
        raise MembershipError(f"{cn.name} is already {'connected' if connected else 'disconnected'} on every node.")
    return _set_adapters(user, cn.cluster, adapters, connected, None)


def _set_adapters(user, cluster, adapters, connected, reporter):

    NetworkAdapter.objects.filter(pk__in=[a.pk for a in adapters]).update(connected=connected)
    mark_nodes(adapters[0].node.lab_id, *{a.node for a in adapters})
    if cluster is None:
        return None
    now = cluster.lab.sim_now()
    nets = {cn.network_id: cn for cn in ClusterNetwork.objects.filter(cluster=cluster)}
    for a in adapters:
        cn = nets.get(a.network_id)
        if not connected and cn is not None:
            log_event(cluster.lab, cluster, ClusterEvent.Level.ERROR, 1127,
                               f"Cluster network interface '{a.node.name} - {a.name}' for cluster node "
                               f"'{a.node.name}' on network '{cn.name}' failed.", node=a.node, sim_time=now,
                               task_category="Network Mgr")
    refresh_network_states(cluster, now, reporter)
    reconcile(cluster, now, user)
    return Operation.objects.filter(source_node__in=[a.node for a in adapters], state__in=Operation.ACTIVE,
                                    kind__in=[Operation.Kind.NODE_FAILURE, Operation.Kind.NODE_RESTART]) \
        .order_by("-pk").first()


def set_disk(user, disk, online):
    """Simulate -> Fail Disk / Repair Disk: the LUN stops (or starts again) answering."""
    disk = Disk.objects.select_related("cluster_disk__cluster__lab").get(pk=disk.pk)
    if disk.online == online:
        raise StorageFaultError(f"The disk '{disk.name}' is already {'online' if online else 'failed'}.")
    Disk.objects.filter(pk=disk.pk).update(online=online)
    cd = getattr(disk, "cluster_disk", None)
    if cd is None:
        return
    cluster = cd.cluster
    now = cluster.lab.sim_now()
    if not online:
        log_event(cluster.lab, cluster, ClusterEvent.Level.ERROR, 1034,
                           f"Cluster physical disk resource '{cd.name}' cannot be brought online because the "
                           f"associated disk could not be found. The disk ('{disk.name}') may have failed or "
                           "been removed from the storage array.", node=cd.owner_node, sim_time=now,
                           task_category="Physical Disk Resource")
    reconcile_storage(cluster, now, user)


def set_storage_paths(user, node, online):
    """Simulate -> Disconnect Storage / Reconnect Storage: every path of the node (its HBA or initiator)."""
    node = Node.objects.select_related("cluster__lab").get(pk=node.pk)
    paths = DiskPath.objects.filter(node=node)
    if not paths.exists():
        raise StorageFaultError(f"{node.name} has no paths to shared storage.")
    if not paths.filter(online=not online).exists():
        raise StorageFaultError(f"The storage of {node.name} is already {'connected' if online else 'disconnected'}.")
    paths.update(online=online)
    mark_nodes(node.lab_id, node)
    if node.cluster_id:
        reconcile_storage(node.cluster, node.cluster.lab.sim_now(), user)


def set_wan_link(user, link, up):
    """Simulate -> Disconnect / Reconnect WAN link: the next cycles across it are sent or missed."""
    link = WanLink.objects.get(pk=link.pk)
    if link.up == up:
        raise ReplicationError(f"{link.name} is already {'connected' if up else 'disconnected'}.")
    WanLink.objects.filter(pk=link.pk).update(up=up)
