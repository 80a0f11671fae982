"""Cluster membership: network faults, partitions, quorum, isolation and quarantine, forming again.

The decisions are fcm/sim/membership.py's and fcm/sim/quorum.py's; this
module reads the lab into plain facts, applies what they decide, and logs
the product's events: 1127 (interface failed), 1129/1130 (network
partitioned / down), 1135 (node removed), 1177 (quorum lost), and on 2016+
1673/1680 (node isolated / left isolation), 1681/1682 (VMs unmonitored /
monitored again) and 1672 (node quarantined).
"""
from dataclasses import replace
from datetime import timedelta

from django.db.models import Q

from fcm.inventory.models import (
    Cluster, ClusterDisk, ClusterEvent, ClusterNetwork, DiskPath, NetworkAdapter, Node, Resource, Role, VirtualMachine,
)
from fcm.sim import membership, placement, quorum

from .. import lifecycle
from .. import phases as keys
from ..events import log_event
from ..facts import MEMBERS, node_facts, preferred_owner_names, vm_facts
from ..models import Operation, Outbox
from ..outbox import mark, mark_nodes, mark_role
from ..phases import phase
from .failover import place_role
from .moves import request_moves
from .nodes import JOIN_S, join, node_operation

ALIVE = MEMBERS + (Node.State.ISOLATED,)


def detect_s(cluster):
    """Heartbeat threshold: SameSubnetDelay x SameSubnetThreshold."""
    return cluster.same_subnet_delay_ms * cluster.same_subnet_threshold / 1000


# -- facts ------------------------------------------------------------------------------
def links(cluster, nodes):
    """{node name: cluster networks (ids) it is connected to}; networks with cluster use None carry no heartbeat."""
    nets = set(ClusterNetwork.objects.filter(cluster=cluster).exclude(role=ClusterNetwork.Role.NONE)
               .values_list("network_id", flat=True))
    result = {n.name: set() for n in nodes}
    for name, net in NetworkAdapter.objects.filter(node__in=nodes, connected=True, network_id__in=nets) \
            .values_list("node__name", "network_id"):
        result[name].add(net)
    return result


def witness(cluster):
    """The cluster's witness as fcm.sim.membership sees it."""
    mode = cluster.quorum_type
    if mode not in (quorum.NODE_AND_DISK, quorum.DISK_ONLY):
        return membership.Witness(mode)
    cd = ClusterDisk.objects.filter(cluster=cluster, assignment=ClusterDisk.Assignment.WITNESS) \
        .select_related("disk", "owner_node").first()
    if cd is None:
        return membership.Witness(mode, online=False)
    reach = frozenset(DiskPath.objects.filter(disk=cd.disk, online=True, node__power_state=Node.PowerState.ON)
                      .values_list("node__name", flat=True)) if cd.disk.online else frozenset()
    return membership.Witness(mode, reach, cd.owner_node.name if cd.owner_node_id else "",
                              online=cd.disk.online and cd.state != ClusterDisk.State.FAILED)


def quorum_total(cluster, members):
    """Votes the cluster counts: every assigned vote (static), or the last membership's (dynamic quorum)."""
    static = not cluster.dynamic_quorum or cluster.state != Cluster.State.RUNNING
    everyone = Node.objects.filter(cluster=cluster) if static else members
    has_witness = cluster.quorum_type != quorum.NODE_MAJORITY
    return sum(n.node_weight for n in everyone) + (1 if has_witness else 0)


def has_quorum(cluster, up_nodes, total=None):
    """Do `up_nodes` (with the witness, when they reach it) hold a majority of `total`?"""
    w = witness(cluster)
    names = {n.name for n in up_nodes}
    if cluster.quorum_type == quorum.DISK_ONLY:
        return bool(names & w.reachable_from) and w.present
    reaches = w.present and (w.mode not in (quorum.NODE_AND_DISK,) or bool(names & w.reachable_from))
    present = sum(n.node_weight for n in up_nodes) + (1 if reaches else 0)
    return quorum.has_quorum(present, quorum_total(cluster, up_nodes) if total is None else total)


# -- quorum lost, cluster formed ------------------------------------------------------------
def check_quorum(lab, cluster, sim_time, reporter, lost=None):
    """After a node left (`lost`): stop the cluster when the rest lack quorum (1177)."""
    cluster.refresh_from_db()
    if cluster.state != Cluster.State.RUNNING:
        return False
    up = list(Node.objects.filter(cluster=cluster, state__in=MEMBERS, power_state=Node.PowerState.ON))
    if cluster.dynamic_quorum:
        # Dynamic quorum: the total is the membership just before this node left.
        total = quorum_total(cluster, up + ([lost] if lost is not None else []))
    else:
        total = quorum_total(cluster, up)
    # The members may themselves be split: only the partition with quorum keeps running.
    winner = membership.surviving_partition(membership.partitions(links(cluster, up)),
                                            {n.name: n.node_weight for n in up}, total, witness(cluster))
    if cluster.forced_quorum or winner:
        return True
    type(cluster).objects.filter(pk=cluster.pk).update(state=Cluster.State.DOWN, forced_quorum=False)
    mark(lab.pk, Outbox.Kind.CLUSTER, cluster.pk)
    log_event(lab, cluster, ClusterEvent.Level.CRITICAL, 1177,
                       "The Cluster service is shutting down because quorum was lost. This could be due to the "
                       "loss of network connectivity between some or all nodes in the cluster, or a failover "
                       "of the witness disk.", node=reporter, sim_time=sim_time, task_category="Quorum Manager")
    for role in Role.objects.filter(cluster=cluster).exclude(state=Role.State.OFFLINE):
        Role.objects.filter(pk=role.pk).update(
            state=Role.State.OFFLINE, information="",
            persistent_state=role.state in (Role.State.ONLINE, Role.State.PENDING, Role.State.PARTIAL_ONLINE))
        role.resources.update(state=Resource.State.OFFLINE)
        VirtualMachine.objects.filter(role=role).update(state=VirtualMachine.State.OFF, started_at=None)
        mark_role(role)
    # A role's move carries its role, not the cluster: both are looked for.
    for op in Operation.objects.filter(Q(cluster=cluster) | Q(role__cluster=cluster), state__in=Operation.ACTIVE,
                                       kind__in=[Operation.Kind.LIVE_MIGRATION, Operation.Kind.QUICK_MIGRATION,
                                                 Operation.Kind.VM_POWER]):
        lifecycle.finish(op, Operation.State.FAILED, sim_time, "The cluster lost quorum.")
    changed = list(Node.objects.filter(cluster=cluster, state__in=ALIVE))
    Node.objects.filter(cluster=cluster, state__in=ALIVE).update(state=Node.State.DOWN, drain_status="")
    mark_nodes(lab.pk, *changed)
    return False


def try_form(cluster, joiner, sim_time, user=None, forced=False):
    """A node's Cluster service starts while the cluster is down: form it with every node that can
    join (powered on, not stopped by the administrator, not quarantined, reachable) if they hold
    quorum — or regardless, with Force Cluster Start. Roles that were online come back by priority."""
    candidates = [n for n in Node.objects.filter(cluster=cluster, power_state=Node.PowerState.ON)
                  if not n.service_stopped and n.state != Node.State.QUARANTINED]
    if joiner not in candidates:
        candidates.append(joiner)
    part = next(p for p in membership.partitions(links(cluster, candidates)) if joiner.name in p)
    group = [n for n in candidates if n.name in part]
    total = quorum_total(cluster, [])  # a forming cluster counts every assigned vote
    if not forced and not has_quorum(cluster, group, total):
        Node.objects.filter(pk=joiner.pk).update(state=Node.State.DOWN)
        mark_nodes(cluster.lab_id, joiner)
        return False
    type(cluster).objects.filter(pk=cluster.pk).update(
        state=Cluster.State.RUNNING, forced_quorum=forced and not has_quorum(cluster, group, total))
    mark(cluster.lab_id, Outbox.Kind.CLUSTER, cluster.pk)
    for n in group:
        Node.objects.filter(pk=n.pk).update(state=Node.State.UP, dynamic_weight=n.node_weight, drain_status="",
                                            paused_at=None, service_stopped=False)
    mark_nodes(cluster.lab_id, *group)
    start_persistent_roles(cluster, sim_time, user)
    return True


def start_persistent_roles(cluster, sim_time, user=None):
    """Roles that were online when the cluster stopped start again, High priority first: on their
    owner node when it can run them, else on the best possible node."""

    reserved = {}
    for role in Role.objects.filter(cluster=cluster, persistent_state=True).select_related(
            "virtual_machine__host_node").order_by("-priority", "name"):
        Role.objects.filter(pk=role.pk).update(persistent_state=False)
        vm = getattr(role, "virtual_machine", None)
        if vm is None or role.priority == Role.Priority.NO_AUTO_START:
            continue
        # host="": the VM is off, so its own node is a candidate like any other.
        facts = replace(vm_facts(vm), running=True, host="")
        nodes = node_facts(cluster)
        here = nodes.get(vm.host_node.name)
        if here is not None and placement.ineligibility(
                facts, here, None, placement.QUICK) is None and here.free_memory_mb - reserved.get(
                here.name, 0) >= vm.memory_mb:
            target = here.name
        else:
            target = placement.best_possible_node(facts, list(nodes.values()), preferred_owner_names(role),
                                                  placement.QUICK, reserved)
        if target is None:
            Role.objects.filter(pk=role.pk).update(state=Role.State.FAILED, information="No node can host it")
            mark_role(role)
            continue
        reserved[target] = reserved.get(target, 0) + vm.memory_mb
        place_role(role, vm, Node.objects.get(cluster=cluster, name=target), boot_by=user, sim_now=sim_time)


# -- network faults and partitions ------------------------------------------------------------
def refresh_network_states(cluster, sim_time, reporter=None, log=True):
    """Up / Partitioned / Down per cluster network, from the running members' connected adapters."""
    up = list(Node.objects.filter(cluster=cluster, state__in=MEMBERS, power_state=Node.PowerState.ON))
    for cn in ClusterNetwork.objects.filter(cluster=cluster).select_related("network"):
        on = set(NetworkAdapter.objects.filter(node__in=up, network=cn.network, connected=True)
                 .values_list("node_id", flat=True))
        state = (ClusterNetwork.State.UP if len(on) == len(up) and up else
                 ClusterNetwork.State.DOWN if len(on) <= 1 else ClusterNetwork.State.PARTITIONED)
        if state == cn.state:
            continue
        ClusterNetwork.objects.filter(pk=cn.pk).update(state=state)
        mark(cluster.lab_id, Outbox.Kind.NETWORK, cn.pk)
        if log and state == ClusterNetwork.State.PARTITIONED:
            log_event(cluster.lab, cluster, ClusterEvent.Level.ERROR, 1129,
                               f"Cluster network '{cn.name}' is partitioned. Some attached failover cluster "
                               "nodes cannot communicate with each other over the network.",
                               node=reporter, sim_time=sim_time, task_category="Network Mgr")
        elif log and state == ClusterNetwork.State.DOWN:
            log_event(cluster.lab, cluster, ClusterEvent.Level.ERROR, 1130,
                               f"Cluster network '{cn.name}' is down. None of the available nodes can "
                               "communicate using this network.", node=reporter, sim_time=sim_time,
                               task_category="Network Mgr")


def _isolation_ops(cluster):
    return {op.source_node_id: op for op in Operation.objects.filter(
        source_node__cluster=cluster, kind=Operation.Kind.NODE_FAILURE, state__in=Operation.ACTIVE)
        if op.plan.get("isolation")}


def reconcile(cluster, sim_time, user=None):
    """After a link changed: the partition with quorum keeps running; the nodes outside it lose
    their heartbeats (isolation operation); nodes back in reach leave isolation or join again."""
    cluster.refresh_from_db()
    ops = _isolation_ops(cluster)
    alive = [n for n in Node.objects.filter(cluster=cluster, power_state=Node.PowerState.ON)
             if n.state in ALIVE or n.pk in ops]
    rejoin = [n for n in Node.objects.filter(cluster=cluster, power_state=Node.PowerState.ON, state=Node.State.DOWN,
                                             service_stopped=False) if n.pk not in ops]
    parts = membership.partitions(links(cluster, alive + rejoin))
    if cluster.state == Cluster.State.RUNNING:
        votes = {n.name: n.node_weight for n in alive}
        total = quorum_total(cluster, alive)
        winner = membership.surviving_partition(parts, votes, total, witness(cluster)) or frozenset()
        for node in alive:
            op = ops.get(node.pk)
            if node.name in winner:
                if op is not None or node.state == Node.State.ISOLATED:
                    end_isolation(user, node, op, sim_time)
            elif op is None and node.state != Node.State.ISOLATED:
                isolate(user, node, sim_time)
        candidates = [n for n in rejoin if n.name in winner]
    else:
        candidates = rejoin
    busy = set(Operation.objects.filter(source_node__in=candidates, state__in=Operation.ACTIVE,
                                        kind__in=[Operation.Kind.NODE_FAILURE, Operation.Kind.NODE_RESTART])
               .values_list("source_node_id", flat=True))
    for node in candidates:
        if node.pk not in busy:
            join(user, node, sim_time)  # a down cluster forms again only with quorum (try_form)


def isolate(user, node, sim_time):
    """The node's heartbeats stop reaching the running partition: removed after the threshold; on
    2016+ first Isolated for the resiliency period, its VMs still running, Unmonitored."""
    cluster = node.cluster
    detect = detect_s(cluster)
    phases = [phase(keys.HEARTBEATS_LOST, "Heartbeats lost", 0.0, detect, "Isolate")]
    end = detect
    if membership.resilient(cluster.version.order, transient=True) and cluster.resiliency_period_s:
        end = detect + cluster.resiliency_period_s
        phases.append(phase(keys.ISOLATED, "Isolated (resiliency period)", detect, end, "Isolated"))
    phases.append(phase(keys.REMOVED_FROM_MEMBERSHIP, "Node removed from membership", end, end, "Detect"))
    return node_operation(user, node, Operation.Kind.NODE_FAILURE, phases, sim_now=sim_time,
                        extra={"isolation": True})


def enter_isolated(op, node, sim_time):
    """2016+: the node is no longer an active member but keeps running its VMs (Unmonitored)."""
    cluster = node.cluster
    Node.objects.filter(pk=node.pk).update(state=Node.State.ISOLATED)
    log_event(op.lab, cluster, ClusterEvent.Level.WARNING, 1673,
                       f"Cluster node '{node.name}' has entered the isolated state.", node=node, sim_time=sim_time,
                       task_category="Node Mgr")
    roles = list(Role.objects.filter(cluster=cluster, owner_node=node,
                                     virtual_machine__state=VirtualMachine.State.RUNNING))
    if roles:
        Role.objects.filter(pk__in=[r.pk for r in roles]).update(information="Unmonitored")
        log_event(op.lab, cluster, ClusterEvent.Level.WARNING, 1681,
                           f"Virtual machines on node '{node.name}' have entered an unmonitored state: "
                           + ", ".join(r.name for r in roles) + ".", node=node, sim_time=sim_time,
                           task_category="Resource Control Manager")
        for role in roles:
            mark_role(role)
    mark_nodes(op.lab_id, node)


def recent_isolations(node, sim_time):
    since = sim_time - timedelta(seconds=membership.QUARANTINE_WINDOW_S)
    return ClusterEvent.objects.filter(cluster=node.cluster, node=node, event_id=1673, sim_time__gte=since).count()


def end_isolation(user, node, op, sim_time):
    """Heartbeats are back before the node was removed: it stays (or becomes again) a member."""
    if op is not None:
        lifecycle.finish(op, Operation.State.CANCELLED, sim_time, f"{node.name} is reachable again.")
    if node.state != Node.State.ISOLATED:
        return
    cluster = node.cluster
    log_event(node.lab, cluster, ClusterEvent.Level.INFORMATION, 1680,
                       f"Cluster node '{node.name}' has left the isolated state.", node=node, sim_time=sim_time,
                       task_category="Node Mgr")
    roles = list(Role.objects.filter(cluster=cluster, owner_node=node, information="Unmonitored"))
    Role.objects.filter(pk__in=[r.pk for r in roles]).update(information="")
    if roles:
        log_event(node.lab, cluster, ClusterEvent.Level.INFORMATION, 1682,
                           f"Virtual machines on node '{node.name}' are monitored again.", node=node,
                           sim_time=sim_time, task_category="Resource Control Manager")
    for role in roles:
        mark_role(role)
    if membership.quarantines(recent_isolations(node, sim_time), cluster.quarantine_threshold):
        quarantine(user, node, sim_time, drain=True)
    else:
        Node.objects.filter(pk=node.pk).update(state=Node.State.UP)
        mark_nodes(node.lab_id, node)


def quarantine(user, node, sim_time, drain):
    """Isolated too often: the node may not join for QuarantineDuration; its roles leave it (live)."""
    cluster = node.cluster
    until = sim_time + timedelta(seconds=cluster.quarantine_duration_s)
    Node.objects.filter(pk=node.pk).update(state=Node.State.QUARANTINED, quarantined_until=until)
    log_event(node.lab, cluster, ClusterEvent.Level.CRITICAL, 1672,
                       f"Cluster node '{node.name}' has been quarantined: it was isolated "
                       f"{cluster.quarantine_threshold} times within an hour. It cannot rejoin the cluster until "
                       f"{until:%H:%M:%S}.", node=node, sim_time=sim_time, task_category="Node Mgr")
    mark_nodes(node.lab_id, node)
    if drain:
        for role in Role.objects.filter(cluster=cluster, owner_node=node).select_related(
                "cluster", "virtual_machine__host_node").order_by("-priority", "name"):
            vm = getattr(role, "virtual_machine", None)
            kind = Operation.Kind.LIVE_MIGRATION if vm is not None and vm.is_running \
                else Operation.Kind.QUICK_MIGRATION
            request_moves(user, [role], kind, sim_now=sim_time)
    node_operation(user, node, Operation.Kind.NODE_RESTART,
                 [phase(keys.QUARANTINED, "Quarantined", 0.0, float(cluster.quarantine_duration_s), "Quarantined"),
                  phase(keys.JOIN_CLUSTER, "Joining the cluster", float(cluster.quarantine_duration_s),
                        cluster.quarantine_duration_s + JOIN_S, "Joining")],
                 sim_now=sim_time, extra={"quarantine": True})


