"""Plain facts about a cluster for fcm.sim (placement, migration plans)."""
from collections import defaultdict

from django.db.models import Sum

from fcm.inventory.models import ClusterNetwork, DiskPath, NetworkAdapter, Node, VirtualMachine
from fcm.sim import placement, workload
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
    for node_id, lun in DiskPath.objects.filter(node__cluster=cluster, online=True, disk__online=True).values_list("node_id", "disk__name"):
        reach[node_id].add(lun)
    return {n.name: placement.NodeFacts(
        n.name, n.state if n.power_state == "On" else "Down", n.memory_mb,
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
    return effective_bandwidth_mib_s(network_speed_mbps, cluster.live_migration_performance,
                                     cluster.version.order, streams), streams


def dirty_rate(vm):
    return workload.get(vm.workload).dirty_rate_mib_s


def disk_write_rate(vm):
    return workload.get(vm.workload).disk_write_mib_s
