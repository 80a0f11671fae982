"""Plain facts about the lab for fcm.sim: placement, migration plans, validation; the disks a cluster may use."""
from collections import defaultdict

from django.db.models import Sum

from fcm.inventory.models import (
    Cluster, ClusterDisk, ClusterNetwork, Disk, DiskPath, NetworkAdapter, Node, Resource, Role, VirtualMachine,
)
from fcm.sim import placement, quorum, storage_paths, validation
from fcm.sim.migration import effective_bandwidth_mib_s

from .models import Operation


def node_facts(cluster, exclude_op=None):
    """{node name: NodeFacts}: memory in use counts running VMs and VMs on their way in
    (other than `exclude_op`'s own VM, when checking that very move)."""
    nodes = list(Node.objects.filter(cluster=cluster))
    used = dict(VirtualMachine.objects.filter(host_node__cluster=cluster, state__in=VirtualMachine.RUNNING_STATES)
                .values_list("host_node").annotate(total=Sum("memory_mb")).values_list("host_node", "total"))
    incoming = dict(Operation.objects.filter(lab_id=cluster.lab_id, state__in=Operation.ACTIVE,
                                             target_node__cluster=cluster, was_running=True)
                    .exclude(kind=Operation.Kind.STORAGE_MIGRATION)
                    .exclude(pk=getattr(exclude_op, "pk", None))
                    .values_list("target_node").annotate(total=Sum("virtual_machine__memory_mb"))
                    .values_list("target_node", "total"))
    reach = defaultdict(set)
    for node_id, lun in (DiskPath.objects.filter(node__cluster=cluster, online=True, disk__online=True)
                         .values_list("node_id", "disk__name")):
        reach[node_id].add(lun)
    return {n.name: placement.NodeFacts(
        n.name, n.state if n.power_state == Node.PowerState.ON else Node.State.DOWN, n.memory_mb,
        (used.get(n.pk) or 0) + (incoming.get(n.pk) or 0), n.processor_vendor, frozenset(reach[n.pk]))
        for n in nodes}


def vm_facts(vm):
    luns = [vm.configuration_disk.name if vm.configuration_disk_id else None]
    luns += [h.disk.name if h.disk_id else None for h in vm.hard_disks.select_related("disk")]
    return placement.VmFacts(vm.name, vm.memory_mb, vm.is_running, vm.host_node.name, tuple(dict.fromkeys(luns)))


def preferred_owner_names(role):
    return [p.node.name for p in role.preferred_owner_entries.select_related("node")]


def migration_network(cluster, source, target):
    """The cluster network a live migration uses between two nodes, and its speed.

    The order set in Live Migration Settings first (networks cleared there
    are never used); then a network set aside for live migration; else cluster-only networks
    before client networks, lowest metric first; never a network with
    cluster use None. Link speed is the slower adapter's.
    """
    adapters = {}
    for a in NetworkAdapter.objects.filter(node__in=[source, target], connected=True, network__isnull=False):
        adapters.setdefault(a.network_id, {})[a.node_id] = a.speed_mbps
    candidates = []
    for cn in ClusterNetwork.objects.filter(cluster=cluster, state=ClusterNetwork.State.UP).select_related("network"):
        speeds = adapters.get(cn.network_id, {})
        if cn.role == ClusterNetwork.Role.NONE or len(speeds) < 2 or not cn.live_migration_allowed:
            continue
        chosen_order = cn.live_migration_rank if cn.live_migration_rank is not None else 10_000
        rank = (chosen_order, cn.network.purpose != "live-migration", cn.role != ClusterNetwork.Role.CLUSTER_ONLY,
                cn.metric)
        candidates.append((rank, cn, min(speeds.values())))
    if not candidates:
        return None, 0
    _, cn, speed = min(candidates, key=lambda c: c[0])
    return cn, speed


def live_bandwidth(cluster, source, target, network_speed_mbps, exclude_op=None):
    """Bandwidth one more live migration gets, sharing the hosts' links."""
    running = Operation.objects.filter(
        lab_id=cluster.lab_id, state=Operation.State.RUNNING, kind=Operation.Kind.LIVE_MIGRATION
    ).filter(source_node__in=[source, target]) | Operation.objects.filter(
        lab_id=cluster.lab_id, state=Operation.State.RUNNING, kind=Operation.Kind.LIVE_MIGRATION,
        target_node__in=[source, target])
    if exclude_op is not None:
        running = running.exclude(pk=exclude_op.pk)
    streams = running.distinct().count() + 1
    return effective_bandwidth_mib_s(network_speed_mbps, source.live_migration_performance,
                                     cluster.version.order, streams), streams


def gather_facts(lab, node_names, cluster=None):
    nodes = list(Node.objects.filter(lab=lab, name__in=node_names).select_related("domain").order_by("name"))
    adapters = {}
    for a in NetworkAdapter.objects.filter(node__in=nodes).order_by("name"):
        adapters.setdefault(a.node_id, []).append(validation.AdapterFacts(
            a.name, a.ip_address, a.prefix_length, a.dhcp, a.connected, a.gateway))
    switches = {}
    for node_id, name in Node.virtual_switches.rel.related_model.objects.filter(node__in=nodes) \
            .values_list("node_id", "name"):
        switches.setdefault(node_id, []).append(name)
    paths = {}
    luns = set()
    for node_id, lun, number, online in DiskPath.objects.filter(node__in=nodes).values_list(
            "node_id", "disk__name", "disk_number", "online"):
        paths.setdefault(node_id, []).append((lun, number, online))
        luns.add(lun)
    servers = tuple(validation.ServerFacts(
        name=n.name, domain=n.domain.name if n.domain_id else "", os_version=n.os_version, os_label=n.os_label,
        edition=n.edition, install_option=n.install_option, service_pack=n.service_pack,
        update_level=n.update_level, processor_vendor=n.processor_vendor, processor_model=n.processor_model,
        memory_mb=n.memory_mb, hyperv=n.hyperv_installed, failover_clustering=n.failover_clustering_installed,
        unsigned_drivers=n.unsigned_drivers, adapters=tuple(adapters.get(n.pk, ())),
        switches=tuple(switches.get(n.pk, ())), disks=tuple(sorted(paths.get(n.pk, ()), key=lambda p: p[1])))
        for n in nodes)
    disks = tuple(validation.DiskFacts(d.name, d.size_bytes, d.bus_type, d.scsi3_persistent_reservation)
                  for d in Disk.objects.filter(lab=lab, name__in=luns).order_by("name"))
    vms = tuple(validation.VmFacts(vm.name, vm.host_node.name, vm.virtual_switch, vm.configuration_disk_id is not None)
                for vm in VirtualMachine.objects.filter(host_node__in=nodes).select_related("host_node"))
    version_order = max((n.version.order for n in nodes), default=3)
    cluster_facts = None
    if cluster is not None:
        shared = [(d.name, d.size_bytes) for d in disks]
        cluster_facts = validation.ClusterFacts(
            cluster.name, cluster.get_quorum_type_display(),
            dict(Cluster.Quorum.choices)[quorum.automatic_configuration(len(nodes), shared, version_order)[0]],
            offline_resources=tuple(Resource.objects.filter(role__cluster=cluster).exclude(state=Resource.State.ONLINE)
                                    .values_list("name", flat=True)),
            roles=tuple(Role.objects.filter(cluster=cluster).values_list("name", flat=True)),
            networks=tuple(ClusterNetwork.objects.filter(cluster=cluster).values_list("name", flat=True)),
            volumes=tuple(ClusterDisk.objects.filter(cluster=cluster).values_list("name", flat=True)))
    return validation.Facts(version_order, servers, disks, vms, cluster_facts)


def eligible_disks(lab, nodes, cluster=None):
    """LUNs every node sees (working paths), supporting persistent reservations,
    not already used by a cluster."""
    names = {n.pk for n in nodes}
    used = set(ClusterDisk.objects.filter(cluster__lab=lab).values_list("disk_id", flat=True))
    seen = {}
    for disk_id, node_id in DiskPath.objects.filter(node__in=nodes, online=True).values_list("disk_id", "node_id"):
        seen.setdefault(disk_id, set()).add(node_id)
    return [d for d in Disk.objects.filter(lab=lab, scsi3_persistent_reservation=True).order_by("size_bytes", "name")
            if seen.get(d.pk) == names and d.pk not in used]


def eligible_witnesses(cluster):
    """Disks a witness may be: the current witness or Available Storage, whatever their size.

    A disk under 512 MB is offered with a warning (`quorum.witness_size_warning`), as the
    product does; only Create Cluster's automatic choice leaves it out.
    """
    return ClusterDisk.objects.filter(
        cluster=cluster, assignment__in=[ClusterDisk.Assignment.AVAILABLE, ClusterDisk.Assignment.WITNESS],
    ).select_related("disk").order_by("name")


MEMBERS = (Node.State.UP, Node.State.PAUSED)



def paths_of(cluster):
    """Running member names, and {disk id: member names with a working path}."""
    running = set(Node.objects.filter(cluster=cluster, state__in=MEMBERS, power_state=Node.PowerState.ON)
                  .values_list("name", flat=True))
    paths = defaultdict(set)
    for disk_id, name in DiskPath.objects.filter(node__cluster=cluster, online=True, node__name__in=running) \
            .values_list("disk_id", "node__name"):
        paths[disk_id].add(name)
    return running, paths



def csv_access(cd):
    """{node: Direct | Redirected | No access} for one Cluster Shared Volume (the details pane table)."""
    running, paths = paths_of(cd.cluster)
    answers = cd.disk.online and cd.state != ClusterDisk.State.OFFLINE
    return dict(sorted(storage_paths.csv_access(running, paths[cd.disk_id], answers).items()))



def storage_problem(vm, host=None):
    """Why `vm` cannot run on `host` because of its storage, or ''."""
    host = host or vm.host_node
    luns = {vm.configuration_disk_id} | set(vm.hard_disks.values_list("disk_id", flat=True))
    for disk in Disk.objects.filter(pk__in=luns - {None}).select_related("cluster_disk"):
        if not disk.online:
            return f"The disk '{disk.name}' has failed: {vm.name} cannot reach its files."
        has_path = DiskPath.objects.filter(disk=disk, node=host, online=True).exists()
        cd = getattr(disk, "cluster_disk", None)
        if cd is not None and cd.state == ClusterDisk.State.OFFLINE and cd.assignment != ClusterDisk.Assignment.ROLE:
            # A role's own disk comes online with the role; any other must be brought online first.
            return f"{cd.name} is offline: bring it online first ({vm.name} keeps its files on it)."
        if has_path:
            continue
        if cd is not None and cd.assignment == ClusterDisk.Assignment.CSV and cd.state == ClusterDisk.State.ONLINE:
            continue  # redirected access through the coordinator
        if disk.bus_type == Disk.BusType.ISCSI and not DiskPath.objects.filter(disk=disk, node=host).exists():
            return (f"{host.name} is not connected to the disk '{disk.name}', where {vm.name} keeps its files. "
                    f"Connect its target first: Servers > {host.name} > iSCSI Initiator.")
        return f"{host.name} has no working path to the disk '{disk.name}'."
    return ""
