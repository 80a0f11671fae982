"""Create Cluster: the cluster, its networks, its storage and quorum exist when the progress ends."""
from fcm.inventory.models import Cluster, ClusterAddress, ClusterDisk, ClusterEvent, ClusterNetwork, Network, \
    NetworkAdapter, Node
from fcm.sim import networks as netsim
from fcm.sim import quorum

from ..events import log_event
from ..facts import eligible_disks
from ..models import Operation
from ..registry import OperationKind, register


def create_cluster(op, sim_time):
    """Build the cluster the wizard described (at the end of its progress)."""
    p = op.plan["params"]
    lab = op.lab
    nodes = list(Node.objects.filter(lab=lab, name__in=p["nodes"]).select_related("domain").order_by("name"))
    version = max(nodes, key=lambda n: n.version.order).os_version
    cluster = Cluster(lab=lab, name=p["name"], domain=nodes[0].domain, os_version=version, created_at=sim_time)
    cluster.apply_version_defaults(hyperv_vms_clustered=False)
    cluster.save()
    for i, node in enumerate(nodes, start=1):
        node.cluster, node.node_id, node.state = cluster, i, Node.State.UP
        node.node_weight = node.dynamic_weight = 1
        node.save(update_fields=["cluster", "node_id", "state", "node_weight", "dynamic_weight"])
    for a in p.get("addresses", []):
        ClusterAddress.objects.create(cluster=cluster, network_id=a["network"], ip_address=a["ip"])
    by_node = {}
    for a in NetworkAdapter.objects.filter(node__in=nodes, connected=True).exclude(ip_address=""):
        by_node.setdefault(a.node.name, []).append(a.address_with_prefix)
    subnet_net = {n.subnet: n for n in Network.objects.filter(lab=lab)}
    for i, subnet in enumerate(netsim.shared_subnets(by_node), start=1):
        net = subnet_net.get(subnet)
        if net is None:
            continue
        role = netsim.default_role(bool(net.gateway), net.purpose == "storage", cluster.version.order)
        ClusterNetwork.objects.create(cluster=cluster, network=net, name=f"Cluster Network {i}", role=role,
                                      metric=1000 * i + (10000 if net.gateway else 0))
    eligible = []
    if p.get("add_storage", True):
        eligible = eligible_disks(lab, nodes)
    mode, witness = quorum.automatic_configuration(len(nodes), [(d.name, d.size_bytes) for d in eligible],
                                                   cluster.version.order)
    cluster.quorum_type = mode
    cluster.save(update_fields=["quorum_type"])
    for i, disk in enumerate(eligible, start=1):
        ClusterDisk.objects.create(
            cluster=cluster, disk=disk, name=f"Cluster Disk {i}", owner_node=nodes[0],
            assignment=ClusterDisk.Assignment.WITNESS if disk.name == witness else ClusterDisk.Assignment.AVAILABLE)
    log_event(lab, cluster, ClusterEvent.Level.INFORMATION, 1201,
                       f"The Cluster service brought the cluster {cluster.name} online: the cluster name and "
                       f"IP address resources came online on {nodes[0].name}.",
                       node=nodes[0], sim_time=sim_time, task_category="Resource Control Manager")
    op.result = {"cluster": cluster.pk}
    Operation.objects.filter(pk=op.pk).update(result=op.result, cluster=cluster)
    return cluster


@register
class CreateCluster(OperationKind):
    kind = Operation.Kind.CREATE_CLUSTER

    def complete(self, op, sim_time):
        create_cluster(op, sim_time)
