"""Hyper-V Replica in the engine: the way between hosts, replica servers, initial copies, cycles, health.

The rules are fcm/sim/replication.py's. A Replication row carries the
relationship; its cycles are due at `next_cycle_at` and the runner applies
them in order (several per tick on a fast clock). The user's actions are
commands/replication.py, with the product's preconditions (fcm.md 12.6).
"""
from datetime import timedelta
from fnmatch import fnmatch

from django.db import transaction

from fcm.inventory.models import (
    ClusterDisk, Node, RecoveryPoint, ReplicaServer, Replication, Role, VirtualHardDisk, VirtualMachine, WanLink,
)
from fcm.sim import replication as model
from fcm.sim import workload
from fcm.sim.migration import describe_seconds

from .. import lifecycle
from .. import phases as keys
from ..errors import ReplicationError
from ..models import Operation, Outbox
from ..outbox import mark
from ..phases import phase

State = Replication.State
#: A replica server on the same site is reached over the LAN at this speed.
LAN_MBPS = 1000
#: At most this many cycles are applied for one relationship in one tick.
MAX_CYCLES_PER_TICK = 500
#: Reading and comparing both copies (initial copy from an existing VM, resynchronization), MiB/s.
COMPARE_MIB_S = 400
#: Writing the initial copy to external media, MiB/s.
EXPORT_MIB_S = 200


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


def not_enabled_message(lab, name):
    """For a name that is a Hyper-V server of the lab whose Replication Configuration was never set up: the
    product's refusal (it resolves; it just does not accept replication); None for a name that is no server."""
    short = name.strip().split(".")[0]
    node = Node.objects.filter(lab=lab, name__iexact=short, hyperv_installed=True).first() if short else None
    if node is None:
        return None
    return (f"The Replica server '{node.name}' is not enabled as a Replica server. Enable it in Hyper-V Settings > "
            "Replication Configuration (the Replica Broker's Replication Settings for a cluster).")


def check_server(lab, name, primary, auth=Replication.Auth.KERBEROS, port=None):
    """The Specify Replica Server / Connection Parameters checks, in the product's words."""
    if not name.strip():
        raise ReplicationError("Specify the Replica server.")
    server = find_server(lab, name)
    if server is None and not_enabled_message(lab, name):
        raise ReplicationError(not_enabled_message(lab, name))
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
def create_replica_vm(vm, server, host, vhds):
    """The replica: same name, Off, on a node of the Replica server, its files in the storage location."""
    folder = server.default_storage or r"C:\ClusterStorage\Volume1\Hyper-V Replica"
    disk = None
    if host.cluster_id:
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
    rep = Replication.objects.select_related("primary_vm__host_node", "replica_vm__host_node", "lab").get(pk=rep.pk)
    lab = rep.lab
    now = lab.sim_now()
    mbps, up = path(rep.primary_vm.host_node, rep.replica_vm.host_node)
    wait = max((start_at - now).total_seconds(), 0.0) if start_at else 0.0
    steps = []
    if wait:
        steps.append(phase(keys.SCHEDULED_START, "Waiting for the scheduled start", 0.0, wait, "Scheduled",
                           f"{start_at:%m/%d/%Y %H:%M}"))
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
    steps.append(phase(keys.INITIAL_COPY, name, wait, wait + seconds, "Initial", detail))
    plan = lifecycle.make_plan(steps, f"Initial replication of {rep.primary_vm.name}: about "
                                      f"{describe_seconds(seconds)}", replication=rep.pk)
    return lifecycle.begin(lab, Operation.Kind.INITIAL_REPLICATION, plan, sim_now=now, requested_by=user,
                           source_node=rep.primary_vm.host_node, target_node=rep.replica_vm.host_node,
                           was_running=False)


def link_up(rep):
    rep = Replication.objects.select_related("primary_vm__host_node", "replica_vm__host_node").get(pk=rep.pk)
    if rep.replica_vm is None:
        return False
    p, r = rep.primary_vm.host_node, rep.replica_vm.host_node
    return path(p, r)[1] and p.power_state == Node.PowerState.ON and r.power_state == Node.PowerState.ON


def start_replicating(rep, sim_time):
    Replication.objects.filter(pk=rep.pk).update(
        state=State.REPLICATING, last_sync_at=sim_time, pending_mib=0,
        next_cycle_at=sim_time + timedelta(seconds=rep.frequency_s))
    RecoveryPoint.objects.create(replication=rep, sim_time=sim_time)
    mark_replication(rep)


def fail(rep, sim_time, message):
    """Replication Error: shown in the health report (Errors encountered) and the Replication tab.
    (The Hyper-V-VMMS log's own event IDs are not confirmed by any source: none is invented.)"""
    Replication.objects.filter(pk=rep.pk).update(state=State.ERROR, last_error=message, errors=rep.errors + 1)
    mark_replication(rep)


def mark_replication(rep, light=False):
    """Both VMs' roles show the relationship. `light`: only its figures changed (a cycle), so only
    the Replication tab is pushed, not the role's whole row, details and actions."""
    kind = Outbox.Kind.REPLICATION if light else Outbox.Kind.ROLE
    clustered = dict(Role.objects.filter(virtual_machine__pk__in=[rep.primary_vm_id, rep.replica_vm_id])
                     .values_list("virtual_machine__pk", "pk"))
    for vm_id in (rep.primary_vm_id, rep.replica_vm_id):
        if vm_id in clustered:
            mark(rep.lab_id, kind, clustered[vm_id])
        elif vm_id is not None:  # a VM in no cluster: Hyper-V Manager shows it (its Replication tab, its Actions)
            mark(rep.lab_id, Outbox.Kind.VM, vm_id)


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
        up = up and Node.PowerState.ON == vm.host_node.power_state == replica.host_node.power_state
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
        mark_replication(rep, light=rep.state == state)
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


# -- actions ------------------------------------------------------------------------------------
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
        ("Check that the Replica server can be reached", link_up(rep),
         f"'{rep.replica_server.name}' cannot be reached."),
        ("Check that replication is healthy", rep.state == State.REPLICATING and not rep.paused,
         f"Replication is {rep.get_state_display().lower()}."),
    ]
    return checks


# -- the Hyper-V Replica Broker and Replication Configuration ------------------------------------


