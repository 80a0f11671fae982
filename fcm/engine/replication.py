"""Hyper-V Replica in the engine: enable, initial replication, cycles, health, failovers.

The rules are fcm/sim/replication.py's. A Replication row carries the
relationship; its cycles are due at `next_cycle_at` and the runner applies
them in order (several per tick on a fast clock). Actions are the
product's, with its preconditions (fcm.md section 12.6).
"""
from datetime import timedelta
from fnmatch import fnmatch

from django.db import transaction

from fcm.inventory.models import (
    Node, RecoveryPoint, ReplicaServer, Replication, Role, VirtualHardDisk, VirtualMachine, WanLink,
)
from fcm.sim import replication as model
from fcm.sim import workload
from fcm.sim.migration import describe_seconds

from .errors import EngineError
from .models import Operation, Outbox

State = Replication.State
#: A replica server on the same site is reached over the LAN at this speed.
LAN_MBPS = 1000
#: At most this many cycles are applied for one relationship in one tick.
MAX_CYCLES_PER_TICK = 500
#: Reading and comparing both copies (initial copy from an existing VM, resynchronization), MiB/s.
COMPARE_MIB_S = 400
#: Writing the initial copy to external media, MiB/s.
EXPORT_MIB_S = 200


class ReplicationError(EngineError):
    """What the product says when it refuses (the message is shown where the user acted)."""


# -- facts ----------------------------------------------------------------------------------

def path(primary_host, replica_host):
    """(bandwidth in Mbit/s, up) of the way from one host to the other."""
    if not primary_host.site or primary_host.site == replica_host.site:
        return LAN_MBPS, True
    link = WanLink.objects.filter(lab_id=primary_host.lab_id).filter(
        site_a__in=[primary_host.site, replica_host.site], site_b__in=[primary_host.site, replica_host.site]).first()
    if link is None:
        return 0, False
    return link.bandwidth_mbps, link.up


def vhd_mib(vm):
    return sum(h.max_size_bytes for h in VirtualHardDisk.objects.filter(virtual_machine=vm)) / model.MIB


def working_set_mib(vm, vhd):
    """Blocks a workload keeps rewriting: a tenth of the disks, at least 1 GiB."""
    return max(1024.0, 0.1 * vhd)


def primary_name(vm):
    """The name the replica server knows the primary by: its cluster's broker, or its host."""
    cluster = vm.host_node.cluster
    if cluster is not None:
        broker = ReplicaServer.objects.filter(broker_role__cluster=cluster).first()
        if broker is not None:
            return f"{broker.name}.{cluster.domain.name}" if cluster.domain_id else broker.name
    return vm.host_node.fqdn


def find_server(lab, name):
    """A replica server by the name typed in the wizard (NetBIOS or FQDN), or None."""
    short = name.strip().split(".")[0].upper()
    for server in ReplicaServer.objects.filter(lab=lab).select_related("node__domain", "broker_role__cluster"):
        if server.name.upper() == short:
            return server
    return None


def check_server(lab, name, primary, auth=Replication.Auth.KERBEROS, port=None):
    """The Specify Replica Server / Connection Parameters checks, in the product's words."""
    if not name.strip():
        raise ReplicationError("Specify the Replica server.")
    server = find_server(lab, name)
    if server is None:
        raise ReplicationError(f"The server name '{name}' could not be resolved. Check the name and that the "
                               "server can be reached from this computer.")
    if not server.enabled:
        raise ReplicationError(f"The Replica server '{server.name}' is not enabled as a Replica server. Enable it "
                               "in Hyper-V Settings > Replication Configuration (the Replica Broker's Replication "
                               "Settings for a cluster).")
    if auth == Replication.Auth.KERBEROS and not server.kerberos or \
            auth == Replication.Auth.CERTIFICATE and not server.certificate:
        raise ReplicationError(f"The Replica server '{server.name}' does not accept {Replication.Auth(auth).label} "
                               "authentication.")
    expected = server.kerberos_port if auth == Replication.Auth.KERBEROS else server.certificate_port
    if port is not None and port != expected:
        raise ReplicationError(f"The Replica server '{server.name}' is not listening on port {port} "
                               f"(it uses {expected}).")
    open_rule = server.firewall_http if auth == Replication.Auth.KERBEROS else server.firewall_https
    if not open_rule:
        rule = "HTTP" if auth == Replication.Auth.KERBEROS else "HTTPS"
        raise ReplicationError(f"Could not connect to '{server.name}' on port {expected}: the firewall rule "
                               f"'Hyper-V Replica {rule} Listener (TCP-In)' is not enabled on the Replica server.")
    if not server.allow_any and not any(fnmatch(primary.lower(), a.primary_server.lower())
                                        for a in server.authorizations.all()):
        raise ReplicationError(f"The Replica server '{server.name}' is not configured to accept replication from "
                               f"'{primary}'. Add it to the list of authorized primary servers.")
    return server


# -- enabling ---------------------------------------------------------------------------------

def enable(user, vm, *, server_name, auth, port, compression, vhd_ids, frequency_s, additional_points, vss_hours,
           initial_method, start_at=None):
    """Finish of the Enable Replication wizard: the relationship, the replica VM, the initial copy."""
    from . import roles as role_services

    vm = VirtualMachine.objects.select_related("host_node__cluster", "lab").get(pk=vm.pk)
    lab = vm.lab
    primary = primary_name(vm)
    with transaction.atomic():
        if Replication.objects.filter(primary_vm=vm).exists() or Replication.objects.filter(replica_vm=vm).exists():
            raise ReplicationError(f"Replication is already enabled for virtual machine '{vm.name}'.")
        server = check_server(lab, server_name, primary, auth, port)
        hosts = [n for n in server.hosts().filter(power_state="On") if n.state in ("", "Up")]
        if not hosts:
            raise ReplicationError(f"No node of '{server.name}' is running to hold the replica.")
        host = max(hosts, key=lambda n: (n.memory_mb, n.name))
        if VirtualMachine.objects.filter(lab=lab, host_node__in=server.hosts(), name=vm.name).exists():
            if initial_method != Replication.InitialMethod.EXISTING:
                raise ReplicationError(f"A virtual machine named '{vm.name}' already exists on the Replica server.")
        chosen = list(VirtualHardDisk.objects.filter(virtual_machine=vm, pk__in=vhd_ids)) if vhd_ids else \
            list(VirtualHardDisk.objects.filter(virtual_machine=vm))
        size = sum(h.max_size_bytes for h in chosen) / model.MIB
        replica = _replica_vm(vm, server, host, chosen)
        now = lab.sim_now()
        rep = Replication.objects.create(
            lab=lab, primary_vm=vm, replica_vm=replica, replica_server=server, primary_server=primary, auth=auth,
            port=port or (server.kerberos_port if auth == Replication.Auth.KERBEROS else server.certificate_port),
            compression=compression, frequency_s=frequency_s, additional_points=additional_points,
            vss_hours=vss_hours, initial_method=initial_method, vhd_mib=size, stats_from=now, state=State.READY)
        if server.broker_role_id:
            role_services.make_highly_available(replica, server.broker_role.cluster)
        _mark(rep)
    return rep, start_initial(user, rep, start_at)


def _replica_vm(vm, server, host, vhds):
    """The replica: same name, Off, on a node of the Replica server, its files in the storage location."""
    folder = server.default_storage or r"C:\ClusterStorage\Volume1\Hyper-V Replica"
    disk = None
    if host.cluster_id:
        from fcm.inventory.models import ClusterDisk
        csv = ClusterDisk.objects.filter(cluster=host.cluster, assignment=ClusterDisk.Assignment.CSV).first()
        disk = csv.disk if csv else None
    replica = VirtualMachine.objects.create(
        lab=vm.lab, name=vm.name, host_node=host, state=VirtualMachine.State.OFF, generation=vm.generation,
        memory_mb=vm.memory_mb, vcpus=vm.vcpus, guest_os=vm.guest_os, configuration_path=rf"{folder}\{vm.name}",
        configuration_disk=disk, virtual_switch=vm.virtual_switch, workload=vm.workload)
    for h in vhds:
        VirtualHardDisk.objects.create(
            virtual_machine=replica, path=rf"{folder}\{vm.name}\{h.path.rsplit(chr(92), 1)[-1]}", disk=disk,
            format=h.format, kind=h.kind, max_size_bytes=h.max_size_bytes, file_size_bytes=h.file_size_bytes,
            controller=h.controller)
    return replica


def start_initial(user, rep, start_at=None):
    """Initial replication over the network (now, or at the scheduled time) as an Operation."""
    from . import services

    rep = Replication.objects.select_related("primary_vm__host_node", "replica_vm__host_node", "lab").get(pk=rep.pk)
    lab = rep.lab
    now = lab.sim_now()
    mbps, up = path(rep.primary_vm.host_node, rep.replica_vm.host_node)
    wait = max((start_at - now).total_seconds(), 0.0) if start_at else 0.0
    phases = []
    if wait:
        phases.append({"name": "Waiting for the scheduled start", "start_s": 0.0, "end_s": wait, "state": "Scheduled",
                       "detail": f"{start_at:%m/%d/%Y %H:%M}"})
    size = f"{rep.vhd_mib / 1024:.1f} GB"
    if rep.initial_method == Replication.InitialMethod.EXISTING:
        # Both copies are read and compared; only the differences would travel.
        seconds, name, detail = rep.vhd_mib / COMPARE_MIB_S, "Comparing with the existing virtual machine", size
    elif rep.initial_method == Replication.InitialMethod.MEDIA:
        seconds, name, detail = rep.vhd_mib / EXPORT_MIB_S, "Exporting the initial copy to external media", size
    else:
        seconds = model.initial_replication_s(rep.vhd_mib * model.MIB, mbps, rep.compression) if up else 0.0
        name = "Sending the initial copy"
        detail = f"{size} over {mbps} Mbit/s{', compressed' if rep.compression else ''}"
    phases.append({"name": name, "start_s": wait, "end_s": wait + seconds, "state": "Initial", "detail": detail})
    with transaction.atomic():
        op = Operation.objects.create(
            lab=lab, kind=Operation.Kind.INITIAL_REPLICATION, requested_by=user, state=Operation.State.RUNNING,
            source_node=rep.primary_vm.host_node, target_node=rep.replica_vm.host_node, was_running=False,
            queued_at=now, started_at=now, next_due_at=now,
            plan={"phases": phases, "total_s": wait + seconds, "downtime_s": 0, "replication": rep.pk,
                  "summary": f"Initial replication of {rep.primary_vm.name}: about {describe_seconds(seconds)}"})
        services.mark(lab.pk, Outbox.Kind.OPERATION, op.pk)
    services.advance(op, now)
    return op


def enter_phase(op, phase):
    if phase["state"] == "Initial":
        rep = Replication.objects.get(pk=op.plan["replication"])
        if rep.state in (State.READY, State.WAITING):
            Replication.objects.filter(pk=rep.pk).update(state=State.INITIAL)
            _mark(rep)


def complete(op, sim_time):
    rep = Replication.objects.filter(pk=op.plan.get("replication")).first()
    if rep is None:
        return
    if op.kind == Operation.Kind.INITIAL_REPLICATION:
        if rep.initial_method == Replication.InitialMethod.MEDIA and rep.state != State.RESYNCHRONIZING:
            # The disks travel by courier: the replica waits for Import Initial Replica.
            Replication.objects.filter(pk=rep.pk).update(state=State.WAITING)
            _mark(rep)
            return
        if not _link_up(rep):
            _fail(rep, sim_time, "The initial replication could not be completed: the Replica server is unreachable.")
            return
        _replicating(rep, sim_time)
    elif op.kind == Operation.Kind.PLANNED_FAILOVER:
        finish_planned_failover(rep, op, sim_time)


def _link_up(rep):
    rep = Replication.objects.select_related("primary_vm__host_node", "replica_vm__host_node").get(pk=rep.pk)
    if rep.replica_vm is None:
        return False
    p, r = rep.primary_vm.host_node, rep.replica_vm.host_node
    return path(p, r)[1] and p.power_state == "On" and r.power_state == "On"


def _replicating(rep, sim_time):
    Replication.objects.filter(pk=rep.pk).update(
        state=State.REPLICATING, last_sync_at=sim_time, pending_mib=0,
        next_cycle_at=sim_time + timedelta(seconds=rep.frequency_s))
    RecoveryPoint.objects.create(replication=rep, sim_time=sim_time)
    _mark(rep)


def _fail(rep, sim_time, message):
    """Replication Error: shown in the health report (Errors encountered) and the Replication tab.
    (The Hyper-V-VMMS log's own event IDs are not confirmed by any source: none is invented.)"""
    Replication.objects.filter(pk=rep.pk).update(state=State.ERROR, last_error=message, errors=rep.errors + 1)
    _mark(rep)


def _mark(rep, light=False):
    """Both VMs' roles show the relationship. `light`: only its figures changed (a cycle), so only
    the Replication tab is pushed, not the role's whole row, details and actions."""
    from . import services
    kind = Outbox.Kind.REPLICATION if light else Outbox.Kind.ROLE
    for role_id in Role.objects.filter(virtual_machine__pk__in=[rep.primary_vm_id, rep.replica_vm_id]) \
            .values_list("pk", flat=True):
        services.mark(rep.lab_id, kind, role_id)


def set_wan_link(user, link, up):
    """Simulate -> Disconnect / Reconnect WAN link: the next cycles across it are sent or missed."""
    link = WanLink.objects.get(pk=link.pk)
    if link.up == up:
        raise ReplicationError(f"{link.name} is already {'connected' if up else 'disconnected'}.")
    WanLink.objects.filter(pk=link.pk).update(up=up)


# -- cycles -----------------------------------------------------------------------------------

def run_due_cycles(lab, sim_now):
    """Apply every replication cycle due by `sim_now`, oldest first."""
    due = Replication.objects.filter(lab=lab, state=State.REPLICATING, paused=False, next_cycle_at__lte=sim_now)
    applied = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            # Read again under the row's lock: a failover (or pause) committed since the list above
            # must not be overwritten by this cycle's save of the state it read.
            rep = (Replication.objects.select_for_update(of=("self",))
                   .select_related("primary_vm__host_node__cluster", "replica_vm__host_node", "lab")
                   .filter(pk=pk, state=State.REPLICATING, paused=False).first())
            if rep is not None:
                applied += _cycles(rep, sim_now)
    return applied


def _cycles(rep, sim_now):
    vm, replica = rep.primary_vm, rep.replica_vm
    if replica is None:
        return 0
    rate = workload.get(vm.workload).disk_write_mib_s if vm.is_running else 0.0
    ws = working_set_mib(vm, rep.vhd_mib)
    t = rep.next_cycle_at
    count = 0
    state = rep.state
    while t <= sim_now and count < MAX_CYCLES_PER_TICK:
        mbps, up = path(vm.host_node, replica.host_node)
        up = up and vm.host_node.power_state == "On" and replica.host_node.power_state == "On"
        delta = model.delta_mib(rep.frequency_s, rate, ws)
        c = model.cycle(rep.pending_mib, delta, rep.frequency_s, mbps, rep.compression, up)
        if t + timedelta(seconds=c.duration_s) > sim_now:
            break  # a cycle counts once its transfer has ended (or the interval, when it is missed)
        rep.pending_mib = c.pending_mib
        if c.missed:
            rep.missed_cycles += 1
            if not up:
                rep.errors += 1
                rep.last_error = "The Replica server could not be reached."
        else:
            rep.successful_cycles += 1
            rep.total_mib += c.sent_mib
            rep.max_mib = max(rep.max_mib, c.sent_mib)
            rep.last_sync_at = t + timedelta(seconds=c.duration_s)
            rep.last_error = ""
            RecoveryPoint.objects.create(replication=rep, sim_time=rep.last_sync_at)
        t += timedelta(seconds=rep.frequency_s)
        count += 1
        if model.resync_required(rep.pending_mib, rep.vhd_mib):
            rep.state = State.RESYNC_REQUIRED
            rep.last_error = "The change log exceeded half the size of the virtual hard disks."
            break
    rep.next_cycle_at = t
    rep.save(update_fields=["pending_mib", "missed_cycles", "successful_cycles", "errors", "last_error", "total_mib",
                            "max_mib", "last_sync_at", "next_cycle_at", "state"])
    if count:
        _prune_points(rep, sim_now)
        _mark(rep, light=rep.state == state)
    return count


def _prune_points(rep, sim_now):
    points = list(RecoveryPoint.objects.filter(replication=rep).order_by("sim_time"))
    if len(points) <= 1 + rep.additional_points:
        return
    epoch = points[0].sim_time
    seconds = [(p.sim_time - epoch).total_seconds() for p in points]
    keep = set(model.recovery_points_to_keep(seconds, rep.additional_points, (sim_now - epoch).total_seconds()))
    RecoveryPoint.objects.filter(pk__in=[p.pk for p, s in zip(points, seconds) if s not in keep]).delete()


# -- health -------------------------------------------------------------------------------------

def health(rep, sim_now):
    """Replication Health now. A WAN outage first shows as missed cycles (Warning past 20 %) and errors
    encountered; it turns Critical when the relationship is in error or the outage forces a resync."""
    since = (sim_now - rep.last_sync_at).total_seconds() if rep.last_sync_at else None
    initial_done = rep.state not in (State.READY, State.WAITING, State.INITIAL)
    return model.health(successful=rep.successful_cycles, missed=rep.missed_cycles, since_last_sync_s=since,
                        initial_done=initial_done, can_send=rep.state != State.ERROR,
                        resync=rep.state == State.RESYNC_REQUIRED, paused=rep.paused,
                        failed_over_not_reversed=rep.state in (State.FAILED_OVER_WAITING, State.FAILED_OVER))


def reset_statistics(rep):
    Replication.objects.filter(pk=rep.pk).update(stats_from=rep.lab.sim_now(), successful_cycles=0, missed_cycles=0,
                                                 errors=0, total_mib=0, max_mib=0)
    _mark(rep)


# -- actions ------------------------------------------------------------------------------------

def set_paused(user, rep, paused):
    if rep.paused == paused:
        raise ReplicationError(f"Replication of '{rep.primary_vm.name}' is already "
                               f"{'paused' if paused else 'running'}.")
    if rep.state not in (State.REPLICATING, State.SUSPENDED, State.RESYNC_REQUIRED):
        raise ReplicationError(f"Replication of '{rep.primary_vm.name}' is {rep.get_state_display().lower()}: "
                               "it cannot be paused or resumed now.")
    now = rep.lab.sim_now()
    fields = {"paused": paused, "state": State.SUSPENDED if paused else State.REPLICATING}
    if not paused:
        fields["next_cycle_at"] = now + timedelta(seconds=rep.frequency_s)
    Replication.objects.filter(pk=rep.pk).update(**fields)
    _mark(rep)


def resynchronize(user, rep):
    """Resume after 'Resynchronization required': compare blocks, send the differences (the pending log)."""
    if rep.state != State.RESYNC_REQUIRED:
        raise ReplicationError(f"'{rep.primary_vm.name}' does not need a resynchronization.")
    rep = Replication.objects.select_related("primary_vm__host_node", "replica_vm__host_node", "lab").get(pk=rep.pk)
    mbps, up = path(rep.primary_vm.host_node, rep.replica_vm.host_node)
    if not up:
        raise ReplicationError("The Replica server cannot be reached: resynchronization cannot start.")
    Replication.objects.filter(pk=rep.pk).update(state=State.RESYNCHRONIZING)
    # Compare-and-send costs about reading both disks plus sending the differences.
    from . import services
    now = rep.lab.sim_now()
    seconds = model.transfer_s(rep.pending_mib, mbps, rep.compression) + rep.vhd_mib / COMPARE_MIB_S
    with transaction.atomic():
        op = Operation.objects.create(
            lab=rep.lab, kind=Operation.Kind.INITIAL_REPLICATION, requested_by=user, state=Operation.State.RUNNING,
            source_node=rep.primary_vm.host_node, target_node=rep.replica_vm.host_node, was_running=False,
            queued_at=now, started_at=now, next_due_at=now,
            plan={"phases": [{"name": "Resynchronizing", "start_s": 0.0, "end_s": seconds, "state": "Resync",
                              "detail": ""}], "total_s": seconds, "downtime_s": 0, "replication": rep.pk,
                  "summary": f"Resynchronization of {rep.primary_vm.name}"})
        services.mark(rep.lab_id, Outbox.Kind.OPERATION, op.pk)
    RecoveryPoint.objects.filter(replication=rep).delete()  # resync discards the recovery history
    services.advance(op, now)
    return op


def remove(user, rep):
    """Remove Replication: the relationship goes; both VMs stay."""
    test_vm = rep.test_vm
    replica_role = Role.objects.filter(virtual_machine=rep.replica_vm).first() if rep.replica_vm_id else None
    _mark(rep)
    rep.delete()
    if test_vm is not None:
        test_vm.delete()
    if replica_role is not None:
        from . import services
        services.mark_role(replica_role)


def test_failover(user, rep, point):
    """Test Failover on the replica: '<name> - Test' from a recovery point, on a test network, not started."""
    replica = rep.replica_vm
    if rep.test_vm_id:
        raise ReplicationError(f"A test failover of '{replica.name}' is already running. Stop it first.")
    if rep.state not in (State.REPLICATING, State.SUSPENDED, State.RESYNC_REQUIRED):
        raise ReplicationError("Test failover needs a replica that has completed its initial replication.")
    test = VirtualMachine.objects.create(
        lab=rep.lab, name=f"{replica.name} - Test", host_node=replica.host_node, state=VirtualMachine.State.OFF,
        generation=replica.generation, memory_mb=replica.memory_mb, vcpus=replica.vcpus, guest_os=replica.guest_os,
        configuration_path=replica.configuration_path, configuration_disk=replica.configuration_disk,
        virtual_switch="Test network", workload=replica.workload)
    Replication.objects.filter(pk=rep.pk).update(test_vm=test, last_test_at=point.sim_time)
    _mark(rep)
    return test


def stop_test_failover(user, rep):
    if not rep.test_vm_id:
        raise ReplicationError(f"No test failover of '{rep.replica_vm.name}' is running.")
    test = rep.test_vm
    Replication.objects.filter(pk=rep.pk).update(test_vm=None)
    test.delete()
    _mark(rep)


def planned_failover_checks(rep):
    """The Planned Failover dialog's prerequisites, each (text, ok, why)."""
    vm = rep.primary_vm
    reverse = find_server(rep.lab, rep.primary_server)
    reverse_ok = reverse is not None and reverse.enabled
    checks = [
        ("Check that the virtual machine is turned off", vm.state == VirtualMachine.State.OFF,
         f"'{vm.name}' is {vm.get_state_display().lower()}: shut it down first."),
        ("Check configuration for allowing reverse replication", reverse_ok,
         f"'{rep.primary_server}' is not enabled as a Replica server, so replication cannot be reversed to it."),
        ("Check that the Replica server can be reached", _link_up(rep),
         f"'{rep.replica_server.name}' cannot be reached."),
        ("Check that replication is healthy", rep.state == State.REPLICATING and not rep.paused,
         f"Replication is {rep.get_state_display().lower()}."),
    ]
    return checks


def planned_failover(user, rep, start_replica=True):
    """Planned Failover: send the last changes, fail over, reverse, optionally start the replica."""
    from . import services

    failing = [why for _, ok, why in planned_failover_checks(rep) if not ok]
    if failing:
        raise ReplicationError(failing[0])
    rep = Replication.objects.select_related("primary_vm__host_node", "replica_vm__host_node", "lab").get(pk=rep.pk)
    mbps, _ = path(rep.primary_vm.host_node, rep.replica_vm.host_node)
    send = model.transfer_s(rep.pending_mib, mbps, rep.compression) + 2.0
    now = rep.lab.sim_now()
    phases = [
        {"name": "Send data not yet replicated", "start_s": 0.0, "end_s": send, "state": "Send", "detail": ""},
        {"name": "Fail over on the Replica server", "start_s": send, "end_s": send + 3, "state": "Failover",
         "detail": ""},
        {"name": "Reverse the replication direction", "start_s": send + 3, "end_s": send + 5, "state": "Reverse",
         "detail": ""},
    ]
    Replication.objects.filter(pk=rep.pk).update(state=State.PREPARED)
    with transaction.atomic():
        op = Operation.objects.create(
            lab=rep.lab, kind=Operation.Kind.PLANNED_FAILOVER, requested_by=user, state=Operation.State.RUNNING,
            source_node=rep.primary_vm.host_node, target_node=rep.replica_vm.host_node, was_running=False,
            queued_at=now, started_at=now, next_due_at=now,
            plan={"phases": phases, "total_s": send + 5, "downtime_s": 0, "replication": rep.pk,
                  "start_replica": start_replica, "summary": f"Planned failover of {rep.primary_vm.name}"})
        services.mark(rep.lab_id, Outbox.Kind.OPERATION, op.pk)
    _mark(rep)
    services.advance(op, now)
    return op


def finish_planned_failover(rep, op, sim_time):
    """The replica becomes the primary; replication now runs the other way."""
    from . import roles as role_services

    rep = Replication.objects.select_related("primary_vm__host_node", "replica_vm__host_node", "lab").get(pk=rep.pk)
    old_primary, new_primary = rep.primary_vm, rep.replica_vm
    reverse = find_server(rep.lab, rep.primary_server)
    new_primary_name = primary_name(new_primary)
    RecoveryPoint.objects.filter(replication=rep).delete()
    Replication.objects.filter(pk=rep.pk).update(
        primary_vm=new_primary, replica_vm=old_primary, replica_server=reverse, primary_server=new_primary_name,
        state=State.REPLICATING, pending_mib=0, last_sync_at=sim_time, failed_over_at=sim_time,
        next_cycle_at=sim_time + timedelta(seconds=rep.frequency_s))
    RecoveryPoint.objects.create(replication=rep, sim_time=sim_time)
    _mark(rep)
    if op.plan.get("start_replica"):
        new_primary.refresh_from_db()
        try:
            role_services.request_power(op.requested_by, new_primary, role_services.START, sim_now=sim_time)
        except role_services.RoleError:
            pass


def failover(user, rep, point):
    """Failover on the replica after the primary is lost: boot from the chosen recovery point."""
    from . import roles as role_services

    vm = rep.primary_vm
    if vm.is_running and vm.host_node.power_state == "On" and _link_up(rep):
        raise ReplicationError(f"The primary virtual machine '{vm.name}' is running. Use Planned Failover, or "
                               "fail over only when the primary site is lost.")
    if rep.state not in (State.REPLICATING, State.SUSPENDED, State.RESYNC_REQUIRED, State.ERROR):
        raise ReplicationError(f"Replication of '{vm.name}' is {rep.get_state_display().lower()}: "
                               "there is nothing to fail over to.")
    now = rep.lab.sim_now()
    if not Replication.objects.filter(pk=rep.pk, state=rep.state).update(
            state=State.FAILED_OVER_WAITING, failed_over_at=now, failover_point=point.sim_time):
        raise ReplicationError(f"Replication of '{vm.name}' changed meanwhile (another user or the last cycle): "
                               "look again and retry.")
    _mark(rep)
    replica = VirtualMachine.objects.get(pk=rep.replica_vm_id)
    role_services.request_power(user, replica, role_services.START)
    return rep


def cancel_failover(user, rep):
    """Cancel Failover: the replica stops and goes back to being a replica (another point may be tried)."""
    from . import roles as role_services

    if rep.state != State.FAILED_OVER_WAITING:
        raise ReplicationError("Only a failover that has not been completed can be cancelled.")
    replica = VirtualMachine.objects.get(pk=rep.replica_vm_id)
    if replica.state != VirtualMachine.State.OFF:
        try:
            role_services.request_power(user, replica, role_services.TURN_OFF)
        except role_services.RoleError as exc:
            raise ReplicationError(str(exc)) from None
    Replication.objects.filter(pk=rep.pk).update(state=State.REPLICATING, failed_over_at=None, failover_point=None)
    _mark(rep)


def import_initial_replica(user, rep):
    """Import Initial Replica on the replica: the copy that came on external media is merged."""
    if rep.state != State.WAITING or rep.initial_method != Replication.InitialMethod.MEDIA:
        raise ReplicationError("There is no initial copy from external media waiting to be imported.")
    _replicating(rep, rep.lab.sim_now())


def reverse_replication(user, rep):
    """Reverse Replication after a failover: the old primary becomes the replica (a resync brings it level)."""
    if rep.state != State.FAILED_OVER_WAITING:
        raise ReplicationError("Reverse Replication follows a failover.")
    reverse = find_server(rep.lab, rep.primary_server)
    if reverse is None or not reverse.enabled:
        raise ReplicationError(f"'{rep.primary_server}' is not enabled as a Replica server: enable it before "
                               "reversing replication.")
    rep = Replication.objects.select_related("primary_vm__host_node", "replica_vm__host_node", "lab").get(pk=rep.pk)
    old_primary, new_primary = rep.primary_vm, rep.replica_vm
    RecoveryPoint.objects.filter(replication=rep).delete()
    Replication.objects.filter(pk=rep.pk).update(
        primary_vm=new_primary, replica_vm=old_primary, replica_server=reverse,
        primary_server=primary_name(new_primary), state=State.RESYNC_REQUIRED, pending_mib=rep.vhd_mib * 0.51,
        failover_point=None, last_sync_at=None)
    if old_primary.is_running:
        VirtualMachine.objects.filter(pk=old_primary.pk).update(state=VirtualMachine.State.OFF, started_at=None)
    _mark(rep)


# -- the Hyper-V Replica Broker and Replication Configuration ------------------------------------

def broker_problems(cluster, name, ip):
    """Client Access Point checks for a new broker: the product's NetBIOS and address rules."""
    from fcm.inventory.models import ClusterAddress
    from fcm.inventory.models.servers import validate_ipv4, validate_netbios_name
    from django.core.exceptions import ValidationError

    errors = {}
    try:
        validate_netbios_name(name)
    except ValidationError as exc:
        errors["name"] = " ".join(exc.messages)
    lab = cluster.lab
    if "name" not in errors and (Node.objects.filter(lab=lab, name__iexact=name).exists()
                                 or Role.objects.filter(cluster__lab=lab, name__iexact=name).exists()
                                 or ReplicaServer.objects.filter(lab=lab, name__iexact=name).exists()
                                 or type(cluster).objects.filter(lab=lab, name__iexact=name).exists()):
        errors["name"] = f"The name '{name}' is already in use on the network."
    try:
        validate_ipv4(ip)
    except ValidationError as exc:
        errors["ip"] = " ".join(exc.messages)
    if "ip" not in errors and (ClusterAddress.objects.filter(cluster__lab=lab, ip_address=ip).exists()
                               or ReplicaServer.objects.filter(lab=lab, ip_address=ip).exists()
                               or Node.objects.filter(lab=lab, adapters__ip_address=ip).exists()):
        errors["ip"] = f"The address {ip} is already in use."
    if "ip" not in errors and not any(_in_subnet(ip, cn.network.subnet) for cn in cluster.cluster_networks
                                      .select_related("network").filter(role=3)):
        errors["ip"] = f"{ip} is not on a network that clients can reach (a cluster network with client access)."
    return errors


def _in_subnet(ip, subnet):
    import ipaddress
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        return False


def create_broker(cluster, name, ip, owner=None):
    """Configure Role -> Hyper-V Replica Broker: a role with its access point and broker resource,
    and its (not yet enabled) Replication Settings."""
    from fcm.inventory.models import Resource

    errors = broker_problems(cluster, name, ip)
    if errors:
        raise ReplicationError(" ".join(errors.values()))
    if ReplicaServer.objects.filter(broker_role__cluster=cluster).exists():
        raise ReplicationError(f"{cluster.name} already has a Hyper-V Replica Broker.")
    owner = owner or Node.objects.filter(cluster=cluster, state="Up").order_by("name").first()
    with transaction.atomic():
        role = Role.objects.create(cluster=cluster, name=name, type=Role.Type.REPLICA_BROKER,
                                   state=Role.State.ONLINE, owner_node=owner)
        net = Resource.objects.create(role=role, name=f"Name: {name}", type=Resource.Type.NETWORK_NAME,
                                      state=Resource.State.ONLINE)
        addr = Resource.objects.create(role=role, name=f"IP Address: {ip}", type=Resource.Type.IP_ADDRESS,
                                       state=Resource.State.ONLINE)
        broker = Resource.objects.create(role=role, name=name, type=Resource.Type.REPLICA_BROKER,
                                         state=Resource.State.ONLINE)
        net.depends_on.add(addr)
        broker.depends_on.add(net)
        server = ReplicaServer.objects.create(lab=cluster.lab, broker_role=role, name=name, ip_address=ip)
    return server


def start_configure_broker(user, cluster, name, ip):
    """Configure Role -> Hyper-V Replica Broker, as the High Availability wizard's operation."""
    from . import roles as role_services

    errors = broker_problems(cluster, name, ip)
    if errors:
        raise ReplicationError(" ".join(errors.values()))
    return role_services.start_configure_op(user, cluster, [
        {"name": f"Configuring Hyper-V Replica Broker {name}", "start_s": 0.0, "end_s": 3.0, "state": "Broker",
         "detail": f"{name} {ip}"}], f"Hyper-V Replica Broker {name}")


def configure_broker(op, phase):
    name, ip = phase["detail"].split(" ", 1)
    entry = {"vm": f"Hyper-V Replica Broker {name}", "role": None, "errors": [], "warnings": []}
    try:
        create_broker(op.cluster, name, ip)
        entry["role"] = name
    except ReplicationError as exc:
        entry["errors"] = [str(exc)]
    result = dict(op.result or {})
    result["vms"] = list(result.get("vms", [])) + [entry]
    type(op).objects.filter(pk=op.pk).update(result=result)
    op.result = result
