"""Node failures and maintenance: crash, detection, failover, restart, pause/drain, resume.

Detection follows the product (fcm.md section 8): a node is declared down
after SameSubnetDelay x SameSubnetThreshold without heartbeats (5 s on
2008-2012, 10 s on 2016+), event 1135; the survivors check quorum
(fcm/sim/quorum.py) — without it the cluster stops (event 1177) and nothing
runs; with it the failed node's roles go Pending and are placed by priority
(High, Medium, Low; No Auto Start stays off) on the best possible node with
memory for them, where the VM cold-boots (its unsaved state is lost). A
role that fits nowhere stays Failed (event 1205).
"""
from dataclasses import replace
from datetime import timedelta

from django.db import transaction

from fcm.inventory.models import ClusterDisk, ClusterEvent, Node, Resource, Role, VirtualMachine
from fcm.sim import placement

from .errors import EngineError
from .models import Operation, Outbox

#: Power-on self test and Windows boot of a physical host.
HOST_BOOT_S = 120.0
#: Joining: the Cluster service starts and syncs the cluster database.
JOIN_S = 5.0


class FailureError(EngineError):
    pass


def _op(user, node, kind, phases, sim_now=None, extra=None):
    """A node operation on the engine's clock (`sim_now` inside a tick), its phases applied as they fall due."""
    from . import services

    lab = node.lab
    sim_now = sim_now or lab.sim_now()
    total = phases[-1]["end_s"]
    with transaction.atomic():
        op = Operation.objects.create(
            lab=lab, kind=kind, cluster=node.cluster, source_node=node, target_node=node, requested_by=user,
            was_running=False, state=Operation.State.RUNNING, queued_at=sim_now, started_at=sim_now,
            next_due_at=sim_now, plan={"phases": phases, "total_s": total, "downtime_s": 0,
                                       "summary": f"{kind} {node.name}", **(extra or {})})
        services.mark(lab.pk, Outbox.Kind.OPERATION, op.pk)
    services.advance(op, sim_now)
    return op


def crash_node(user, node):
    """Simulate -> Power Off: the host stops at once; the cluster notices after the heartbeat threshold."""
    node = Node.objects.select_related("cluster", "lab").get(pk=node.pk)
    if node.power_state != "On":
        raise FailureError(f"{node.name} is already off.")
    active = Operation.objects.filter(source_node=node, state__in=Operation.ACTIVE,
                                      kind__in=[Operation.Kind.NODE_FAILURE, Operation.Kind.NODE_RESTART])
    if any(not op.plan.get("isolation") and not op.plan.get("quarantine") for op in active):
        raise FailureError(f"{node.name} is already failing or restarting.")
    from . import services
    for op in active:  # an isolated or quarantined node loses power: that ends the wait
        services._finish(op, Operation.State.CANCELLED, node.lab.sim_now(), f"{node.name} lost power.")
    if node.state in (Node.State.ISOLATED, Node.State.QUARANTINED):
        # Already out of the membership: nothing left to detect.
        Node.objects.filter(pk=node.pk).update(state=Node.State.DOWN, power_state="Off", quarantined_until=None)
        VirtualMachine.objects.filter(host_node=node).update(state=VirtualMachine.State.OFF, started_at=None)
        services.mark_nodes(node.lab_id, node)
        if node.state == Node.State.ISOLATED:
            detect_op = _op(user, node, Operation.Kind.NODE_FAILURE, [
                {"name": "Node removed from membership", "start_s": 0.0, "end_s": 0.0, "state": "Detect",
                 "detail": ""}])
            return detect_op
        return None
    detect = 0.0
    if node.cluster_id:
        c = node.cluster
        detect = c.same_subnet_delay_ms * c.same_subnet_threshold / 1000
    phases = [{"name": "Power lost", "start_s": 0.0, "end_s": detect, "state": "Crash", "detail": ""},
              {"name": "Node removed from membership", "start_s": detect, "end_s": detect, "state": "Detect",
               "detail": ""}]
    return _op(user, node, Operation.Kind.NODE_FAILURE, phases)


def restart_node(user, node):
    """Simulate -> Power On: the host boots, then joins its cluster."""
    node = Node.objects.select_related("cluster", "lab").get(pk=node.pk)
    if node.power_state == "On":
        raise FailureError(f"{node.name} is already running.")
    if Operation.objects.filter(source_node=node, state__in=Operation.ACTIVE,
                                kind__in=[Operation.Kind.NODE_FAILURE, Operation.Kind.NODE_RESTART]).exists():
        raise FailureError(f"Wait until {node.name} has been declared down before powering it on.")
    phases = [{"name": "Booting the host", "start_s": 0.0, "end_s": HOST_BOOT_S, "state": "Boot", "detail": ""},
              {"name": "Joining the cluster", "start_s": HOST_BOOT_S, "end_s": HOST_BOOT_S + JOIN_S,
               "state": "Joining", "detail": ""}]
    return _op(user, node, Operation.Kind.NODE_RESTART, phases)


def enter_phase(op, phase, sim_now):
    from . import membership

    node = Node.objects.select_related("cluster").get(pk=op.source_node_id)
    when = op.started_at + timedelta(seconds=phase["start_s"])
    if phase["state"] == "Crash":
        _power_lost(op, node)
    elif phase["state"] == "Isolated":
        membership.enter_isolated(op, node, when)
    elif phase["state"] == "Detect":
        _declare_down(op, node, when)
    elif phase["state"] == "Joining" and node.cluster_id:
        Node.objects.filter(pk=node.pk).update(power_state="On", state=Node.State.JOINING, quarantined_until=None)
        _mark_node(op, node)
    # "Isolate" (heartbeats being missed), "Boot" and "Quarantined" are waits.


def complete(op, sim_time):
    from . import membership, storage_faults

    if op.kind != Operation.Kind.NODE_RESTART:
        return
    node = Node.objects.select_related("cluster__lab").get(pk=op.source_node_id)
    cluster = node.cluster
    if cluster is None:
        Node.objects.filter(pk=node.pk).update(power_state="On", state="")
        _mark_node(op, node)
        return
    cluster.refresh_from_db()
    if cluster.state != "Running" or op.plan.get("force"):
        if membership.try_form(cluster, node, sim_time, op.requested_by, forced=bool(op.plan.get("force"))):
            storage_faults.reconcile(cluster, sim_time)
        return
    Node.objects.filter(pk=node.pk).update(power_state="On", state=Node.State.UP, dynamic_weight=node.node_weight,
                                           drain_status="", paused_at=None, service_stopped=False)
    _mark_node(op, node)
    if cluster.forced_quorum and membership.has_quorum(
            cluster, list(Node.objects.filter(cluster=cluster, state__in=membership.MEMBERS, power_state="On")),
            membership.quorum_total(cluster, [])):
        type(cluster).objects.filter(pk=cluster.pk).update(forced_quorum=False)  # a majority again
        from . import services
        services.mark(cluster.lab_id, Outbox.Kind.CLUSTER, cluster.pk)
    storage_faults.reconcile(cluster, sim_time)
    membership.reconcile(cluster, sim_time, op.requested_by)  # still cut off? isolated again
    node.refresh_from_db()
    if node.state == Node.State.UP:
        apply_failback(op.requested_by, node, sim_time)


def join(user, node, sim_time=None):
    """The node's Cluster service starts and joins (or, when the cluster is down, tries to form it)."""
    return _op(user, node, Operation.Kind.NODE_RESTART,
               [{"name": "Joining the cluster", "start_s": 0.0, "end_s": JOIN_S, "state": "Joining", "detail": ""}],
               sim_now=sim_time)


def _mark_node(op, node):
    from . import services
    services.mark_nodes(op.lab_id, node)


def _abort_operations_on(node, sim_time, reason, exclude=None):
    """Moves and state changes involving a node that stopped (or left the cluster) fail."""
    from . import services

    moves = [Operation.Kind.LIVE_MIGRATION, Operation.Kind.QUICK_MIGRATION]
    doomed = Operation.objects.filter(state__in=Operation.ACTIVE, source_node=node,
                                      kind__in=moves + [Operation.Kind.VM_POWER, Operation.Kind.STORAGE_MIGRATION]) | \
        Operation.objects.filter(state__in=Operation.ACTIVE, target_node=node, kind__in=moves)
    for other in doomed.exclude(pk=getattr(exclude, "pk", None)).distinct():
        services._finish(other, Operation.State.FAILED, sim_time, reason)


def _power_lost(op, node):
    """Everything on the host stops now; clustered roles still look Online until detection."""
    _abort_operations_on(node, op.started_at, f"{node.name} stopped responding during the operation.", exclude=op)
    Node.objects.filter(pk=node.pk).update(power_state="Off")
    VirtualMachine.objects.filter(host_node=node).update(state=VirtualMachine.State.OFF, started_at=None,
                                                         migration_state=0)
    _mark_node(op, node)


def _declare_down(op, node, sim_time):
    from . import membership, services, storage_faults
    from fcm.sim.membership import quarantines

    cluster = node.cluster
    if cluster is None:
        return
    cluster.refresh_from_db()
    if cluster.state != "Running":
        Node.objects.filter(pk=node.pk).update(state=Node.State.DOWN, dynamic_weight=0, drain_status="")
        _mark_node(op, node)
        return  # the cluster already stopped (quorum lost): nothing fails over
    if node.power_state == "On":
        # Removed while running (isolated): its Cluster service stops and so do its clustered VMs,
        # so that a partition never runs a role twice.
        _abort_operations_on(node, sim_time, f"{node.name} was removed from the cluster membership.", exclude=op)
        VirtualMachine.objects.filter(host_node=node, role__isnull=False).update(
            state=VirtualMachine.State.OFF, started_at=None, migration_state=0)
    Node.objects.filter(pk=node.pk).update(state=Node.State.DOWN, dynamic_weight=0, drain_status="")
    others = Node.objects.filter(cluster=cluster, state=Node.State.UP).exclude(pk=node.pk).order_by("name").first()
    services.log_event(op.lab, cluster, ClusterEvent.Level.CRITICAL, 1135,
                       f"Cluster node '{node.name}' was removed from the active failover cluster membership. "
                       "The Cluster service on this node may have stopped. This could also be due to the node "
                       "having lost communication with other active nodes in the failover cluster.",
                       node=others, sim_time=sim_time, task_category="Node Mgr")
    _mark_node(op, node)
    if op.plan.get("isolation") and node.power_state == "On" and quarantines(
            membership.recent_isolations(node, sim_time), cluster.quarantine_threshold):
        membership.quarantine(op.requested_by, node, sim_time, drain=False)
    if not membership.check_quorum(op.lab, cluster, sim_time, others, lost=node):
        return
    fail_over_roles(op, cluster, node, sim_time)
    storage_faults.reconcile(cluster, sim_time)


def fail_over_roles(op, cluster, failed, sim_time):
    """Place the failed node's roles by priority on the best possible nodes; the VMs boot there."""
    from . import services
    from .facts import node_facts, preferred_owner_names, vm_facts

    owned = list(Role.objects.filter(cluster=cluster, owner_node=failed).select_related("virtual_machine")
                 .order_by("-priority", "name"))
    reserved = {}
    for role in owned:
        vm = getattr(role, "virtual_machine", None)
        was_online = role.state in (Role.State.ONLINE, Role.State.PARTIAL_ONLINE, Role.State.PENDING)
        services.log_event(op.lab, cluster, ClusterEvent.Level.ERROR, 1069,
                           f"Cluster resource 'Virtual Machine {role.name}' of type 'Virtual Machine' in clustered "
                           f"role '{role.name}' failed.", node=None, role=role, sim_time=sim_time,
                           task_category="Resource Control Manager")
        if vm is None:
            continue
        nodes = node_facts(cluster)
        # The VM will boot there, so it needs its memory (it is Off since the crash).
        facts = replace(vm_facts(vm), running=was_online and role.priority != Role.Priority.NO_AUTO_START)
        target = placement.best_possible_node(facts, list(nodes.values()), preferred_owner_names(role),
                                              placement.QUICK, reserved)
        if target is None:
            Role.objects.filter(pk=role.pk).update(state=Role.State.FAILED, information="No node can host it")
            Resource.objects.filter(role=role, virtual_machine=vm).update(state=Resource.State.FAILED)
            services.log_event(op.lab, cluster, ClusterEvent.Level.ERROR, 1205,
                               f"The Cluster service failed to bring clustered role '{role.name}' completely online "
                               "or offline. No node has the memory or the storage paths it needs.",
                               role=role, sim_time=sim_time, task_category="Resource Control Manager")
            services.mark_role(role)
            continue
        node = Node.objects.get(cluster=cluster, name=target)
        if role.priority == Role.Priority.NO_AUTO_START or not was_online:
            place_role(role, vm, node)
            Role.objects.filter(pk=role.pk).update(state=Role.State.OFFLINE)
            Resource.objects.filter(role=role).update(state=Resource.State.OFFLINE)
            services.mark_role(role)
            continue
        reserved[target] = reserved.get(target, 0) + vm.memory_mb
        place_role(role, vm, node, boot_by=op.requested_by, sim_now=sim_time)
    ClusterDisk.objects.filter(cluster=cluster, owner_node=failed).exclude(role__isnull=False).update(
        owner_node=Node.objects.filter(cluster=cluster, state=Node.State.UP).order_by("name").first())


def place_role(role, vm, node, boot_by=None, sim_now=None):
    """A failed-over role now belongs to `node` (VM host, owner, role disks);
    with `boot_by`, its VM cold-boots there."""
    from . import roles as role_services

    VirtualMachine.objects.filter(pk=vm.pk).update(host_node=node, state=VirtualMachine.State.OFF)
    Role.objects.filter(pk=role.pk).update(owner_node=node, information="")
    ClusterDisk.objects.filter(role=role).update(owner_node=node)
    if boot_by is not None or sim_now is not None:
        role_services.request_power(boot_by, VirtualMachine.objects.get(pk=vm.pk), role_services.START,
                                    sim_now=sim_now)


# -- maintenance ---------------------------------------------------------------------

def pause_node(user, node, drain):
    """Pause (-> Drain Roles): no role may move in; drained roles leave by priority."""
    from . import services

    node = Node.objects.select_related("cluster__lab").get(pk=node.pk)
    if node.state != Node.State.UP:
        raise FailureError(f"{node.name} is {node.get_state_display().lower()}: only a node that is up can be paused.")
    cluster = node.cluster
    sim_now = cluster.lab.sim_now()
    Node.objects.filter(pk=node.pk).update(state=Node.State.PAUSED, paused_at=sim_now,
                                           drain_status="In Progress" if drain else "")
    services.mark_nodes(cluster.lab_id, node)
    if not drain:
        return []
    owned = list(Role.objects.filter(cluster=cluster, owner_node=node).select_related(
        "cluster", "virtual_machine__host_node").order_by("-priority", "name"))
    started = []
    for role in owned:
        vm = getattr(role, "virtual_machine", None)
        if vm is None:
            _move_group(role, node)
            continue
        kind = Operation.Kind.LIVE_MIGRATION
        if (not vm.is_running or role.priority <= Role.Priority.LOW
                or not cluster.version.live_migration):
            kind = Operation.Kind.QUICK_MIGRATION  # Low priority VMs quick-migrate by default
        result = services.request_moves(user, [role], kind)
        started += result.started
        if result.refused:
            Node.objects.filter(pk=node.pk).update(drain_status="Failed")
            services.log_event(cluster.lab, cluster, ClusterEvent.Level.CRITICAL, 1677,
                               f"Node drain failed on cluster node {node.name}: {result.refused[0][1]}",
                               node=node, task_category="Node Mgr")
    drain_progress(node)
    return started


def _move_group(role, node):
    """A role without a virtual machine (Replica Broker, file server) moves as a group: offline here,
    online on the first other node that is up, in a moment; its disks follow."""
    from . import services

    target = Node.objects.filter(cluster=role.cluster, state=Node.State.UP, power_state="On") \
        .exclude(pk=node.pk).order_by("name").first()
    if target is None:
        return
    Role.objects.filter(pk=role.pk).update(owner_node=target)
    ClusterDisk.objects.filter(role=role).update(owner_node=target)
    services.mark_role(role)


def drain_progress(node):
    """Drain In Progress -> Completed once no move from the node is left (Failed stays)."""
    from . import services

    node.refresh_from_db()
    if node.drain_status != "In Progress":
        return
    if Operation.objects.filter(source_node=node, state__in=Operation.ACTIVE).exists():
        return
    failed = Operation.objects.filter(source_node=node, state=Operation.State.FAILED,
                                      finished_at__gte=node.paused_at).exists() if node.paused_at else False
    Node.objects.filter(pk=node.pk).update(drain_status="Failed" if failed else "Completed")
    if node.stopping_service:
        # Stop Cluster Service: the roles have left; the node leaves the membership gracefully,
        # handing its vote over (dynamic quorum), so no failover is needed.
        Node.objects.filter(pk=node.pk).update(state=Node.State.DOWN, dynamic_weight=0, stopping_service=False,
                                               service_stopped=True, drain_status="", paused_at=None)
    services.mark_nodes(node.lab_id, node)


def resume_node(user, node, fail_back):
    """Resume (-> Fail Roles Back): the node takes roles again; drained roles come back."""
    from . import services

    node = Node.objects.select_related("cluster__lab").get(pk=node.pk)
    if node.state != Node.State.PAUSED:
        raise FailureError(f"{node.name} is not paused.")
    paused_at = node.paused_at
    Node.objects.filter(pk=node.pk).update(state=Node.State.UP, drain_status="", paused_at=None)
    services.mark_nodes(node.cluster.lab_id, node)
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
        kind = Operation.Kind.LIVE_MIGRATION if vm is not None and vm.is_running and \
            role.cluster.version.live_migration and role.priority > Role.Priority.LOW else Operation.Kind.QUICK_MIGRATION
        started += services.request_moves(user, [role], kind, node).started
    return started


# -- a guest OS crash: resource failure policies ------------------------------------------

def guest_crash(user, role):
    """Simulate -> Guest OS crash: the Virtual Machine resource fails (1069).

    The resource's policy (fcm.md 8.2): restart on the current node up to
    RestartThreshold times in RestartPeriod (defaults 1 in 15 min); past
    that the role fails over to another node, counting toward the role's
    maximum failures in the period (n-1 in 6 h by default); past that the
    role is left Failed (1254).
    """
    from . import roles as role_services
    from . import services

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
    services.log_event(lab, cluster, ClusterEvent.Level.ERROR, 1069,
                       f"Cluster resource 'Virtual Machine {role.name}' of type 'Virtual Machine' in clustered "
                       f"role '{role.name}' failed.", node=role.owner_node, role=role, sim_time=now,
                       task_category="Resource Control Manager")
    VirtualMachine.objects.filter(pk=vm.pk).update(state=VirtualMachine.State.OFF, started_at=None)
    threshold = resource.restart_threshold if resource else 1
    if resource is None or resource.restart_action == Resource.RestartAction.NO_RESTART:
        Role.objects.filter(pk=role.pk).update(state=Role.State.FAILED)
        Resource.objects.filter(pk=getattr(resource, "pk", None)).update(state=Resource.State.FAILED)
        services.mark_role(role)
        return "failed"
    if len(restarts) < threshold:
        restarts.append(now.isoformat())
        Role.objects.filter(pk=role.pk).update(failure_log={**log, "restarts": restarts, "failovers": failovers})
        role_services.request_power(user, VirtualMachine.objects.get(pk=vm.pk), role_services.START)
        return "restarted"
    nodes = Node.objects.filter(cluster=cluster).count()
    limit = role.failover_threshold if role.failover_threshold is not None else max(nodes - 1, 0)
    if len(failovers) >= limit:
        Role.objects.filter(pk=role.pk).update(state=Role.State.FAILED, failure_log={**log, "restarts": restarts,
                                                                                     "failovers": failovers})
        Resource.objects.filter(pk=resource.pk).update(state=Resource.State.FAILED)
        services.log_event(lab, cluster, ClusterEvent.Level.ERROR, 1254,
                           f"Clustered role '{role.name}' has exceeded its failover threshold. It has exhausted the "
                           f"configured number of failover attempts within the failover period of time allotted to "
                           "it and will be left in a failed state.", role=role, sim_time=now,
                           task_category="Failover Mgr")
        services.mark_role(role)
        return "failed"
    failovers.append(now.isoformat())
    Role.objects.filter(pk=role.pk).update(failure_log={**log, "restarts": [], "failovers": failovers})
    from .facts import node_facts, preferred_owner_names, vm_facts
    vm.refresh_from_db()
    facts = replace(vm_facts(vm), running=True)
    others = [n for n in node_facts(cluster).values() if n.name != role.owner_node.name]
    target = placement.best_possible_node(facts, others, preferred_owner_names(role), placement.QUICK)
    if target is None:
        Role.objects.filter(pk=role.pk).update(state=Role.State.FAILED)
        services.log_event(lab, cluster, ClusterEvent.Level.ERROR, 1205,
                           f"The Cluster service failed to bring clustered role '{role.name}' completely online or "
                           "offline. No other node can host it.", role=role, sim_time=now,
                           task_category="Resource Control Manager")
        services.mark_role(role)
        return "failed"
    node = Node.objects.get(cluster=cluster, name=target)
    place_role(role, vm, node, boot_by=user)
    services.mark_nodes(lab.pk, role.owner_node, node)
    return "failed over"


def _t(text):
    from datetime import datetime
    return datetime.fromisoformat(text)


def apply_failback(user, node, sim_time):
    """A preferred owner is back: roles that allow failback move to it (now, or within their hours)."""
    from . import services

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
        started += services.request_moves(user, [role], Operation.Kind.LIVE_MIGRATION if live
                                          else Operation.Kind.QUICK_MIGRATION, node, sim_now=sim_time).started
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
    from . import services

    node = Node.objects.select_related("cluster", "lab").get(pk=node.pk)
    if node.power_state != "On":
        raise FailureError(f"{node.name} is turned off: power it on first.")
    if node.state not in (Node.State.DOWN, Node.State.QUARANTINED):
        raise FailureError(f"The Cluster service is already running on {node.name}.")
    busy = Operation.objects.filter(source_node=node, state__in=Operation.ACTIVE,
                                    kind__in=[Operation.Kind.NODE_FAILURE, Operation.Kind.NODE_RESTART])
    now = node.lab.sim_now()
    for op in busy:
        if not op.plan.get("quarantine"):
            raise FailureError(f"{node.name} is already starting or failing; wait for it to finish.")
        services._finish(op, Operation.State.CANCELLED, now, "Quarantine cleared by the administrator.")
    Node.objects.filter(pk=node.pk).update(service_stopped=False, quarantined_until=None)
    return join(user, node)
