"""Read-side queries of the console: one place that decides what each page loads.

Every list is one query for the page of rows plus one count, whatever the
lab's size (select_related for every column shown, no per-row lookups), so
the console stays constant in queries with 8,000 roles.
"""
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from fcm.inventory.models import (
    Cluster, ClusterDisk, ClusterEvent, ClusterNetwork, DiskPath, Lab, NetworkAdapter,
    Node, PreferredOwner, Resource, Role, VirtualMachine,
)


def labs_for(user):
    """The lab list: a trainee's exercise lab is listed for the trainee only (a trainer reaches the
    class's labs from the session dashboard, thirty at a time)."""
    return (
        Lab.objects.visible_to(user).exclude(Q(trainee__isnull=False) & ~Q(owner=user))
        .select_related("owner")
        .annotate(cluster_count=Coalesce(count_of(Cluster, lab="pk"), 0),
                  node_count=Coalesce(count_of(Node, lab="pk"), 0))
    )


def count_of(model, **outer):
    """A correlated COUNT(*) subquery: joining two big relations and counting
    DISTINCT multiplies rows (64 nodes x 8,000 roles); two subqueries do not."""
    (field, ref), = outer.items()
    return Subquery(
        model.objects.filter(**{field: OuterRef(ref)}).order_by().values(field)
        .annotate(n=Count("pk")).values("n"), output_field=IntegerField())


def clusters_of(lab):
    return list(Cluster.objects.filter(lab=lab).select_related("domain")
                .annotate(node_count=Coalesce(count_of(Node, cluster="pk"), 0),
                          role_count=Coalesce(count_of(Role, cluster="pk"), 0)))


def roles(cluster, q=""):
    qs = Role.objects.filter(cluster=cluster).select_related(
        "owner_node", "virtual_machine", "cluster")
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("name", "pk")


def role_detail(cluster, pk):
    return (
        Role.objects.select_related("owner_node", "virtual_machine__host_node", "cluster__domain")
        .prefetch_related(
            Prefetch("preferred_owner_entries", queryset=PreferredOwner.objects.select_related("node")),
            Prefetch("resources", queryset=Resource.objects.select_related(
                "cluster_disk__disk", "virtual_machine").prefetch_related("depends_on")),
            Prefetch("virtual_machine__hard_disks"),
        )
        .get(cluster=cluster, pk=pk)
    )


def nodes(cluster, q=""):
    qs = Node.objects.filter(cluster=cluster).select_related("cluster")
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("name", "pk")


def with_load_counts(nodes):
    """Nodes annotated with the roles they own and the VMs they host."""
    return nodes.annotate(owned_role_count=Coalesce(count_of(Role, owner_node="pk"), 0),
                          vm_count=Coalesce(count_of(VirtualMachine, host_node="pk"), 0))


def node_detail(cluster, pk):
    return (
        with_load_counts(Node.objects.select_related("domain", "cluster"))
        .prefetch_related(Prefetch("adapters", queryset=NetworkAdapter.objects.select_related(
            "network").prefetch_related("network__cluster_networks")), "disk_paths")
        .get(cluster=cluster, pk=pk)
    )


def cluster_disks(cluster, q="", csv_only=False):
    qs = ClusterDisk.objects.filter(cluster=cluster).select_related(
        "disk", "role", "owner_node", "cluster")
    if csv_only:
        qs = qs.filter(assignment=ClusterDisk.Assignment.CSV)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(disk__name__icontains=q))
    return qs.order_by("name", "pk")


def disk_numbers(cluster_disks):
    """{cluster disk pk: disk number on its owner node} for a page of disks, in one query."""
    pairs = {(d.disk_id, d.owner_node_id): d.pk for d in cluster_disks if d.owner_node_id}
    if not pairs:
        return {}
    found = DiskPath.objects.filter(
        disk_id__in={d for d, _ in pairs}, node_id__in={n for _, n in pairs}
    ).values_list("disk_id", "node_id", "disk_number")
    return {pairs[(d, n)]: num for d, n, num in found if (d, n) in pairs}


def cluster_disk_detail(cluster, pk):
    return (
        ClusterDisk.objects.select_related("disk", "role", "owner_node", "cluster")
        .prefetch_related(Prefetch("disk__paths", queryset=DiskPath.objects.select_related("node")))
        .get(cluster=cluster, pk=pk)
    )


def cluster_networks(cluster, q=""):
    qs = ClusterNetwork.objects.filter(cluster=cluster).select_related("network")
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("name", "pk")


def cluster_network_detail(cluster, pk):
    return ClusterNetwork.objects.select_related("network").get(cluster=cluster, pk=pk)


def network_connections(cluster, network):
    """Adapters of the cluster's nodes on that subnet (Network Connections tab)."""
    return (NetworkAdapter.objects.filter(node__cluster=cluster, network=network)
            .select_related("node").order_by("node__name", "name"))


def events(cluster):
    return ClusterEvent.objects.filter(cluster=cluster).select_related("node", "role")


def event_detail(cluster, pk):
    return ClusterEvent.objects.select_related("node", "role").get(cluster=cluster, pk=pk)


def servers(lab, q=""):
    qs = Node.objects.filter(lab=lab).select_related("domain", "cluster__domain")
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("name", "pk")


def server_detail(lab, pk):
    return (
        Node.objects.select_related("domain", "cluster__domain")
        .prefetch_related(
            Prefetch("adapters", queryset=NetworkAdapter.objects.select_related("network")),
            Prefetch("disk_paths", queryset=DiskPath.objects.select_related("disk")),
            "virtual_switches",
            Prefetch("virtual_machines", queryset=VirtualMachine.objects.order_by("name")),
        )
        .get(lab=lab, pk=pk)
    )


def server_adapter_summaries(nodes_page):
    """{node pk: ["Public 192.168.100.11/24", ...]} for a page of servers, in one query."""
    out = {}
    for a in NetworkAdapter.objects.filter(node__in=nodes_page).order_by("node_id", "name"):
        label = f"{a.name}: {a.address_with_prefix or ('DHCP' if a.dhcp else 'no address')}"
        out.setdefault(a.node_id, []).append(label)
    return out


def server_disk_counts(nodes_page):
    rows = (DiskPath.objects.filter(node__in=nodes_page).values("node_id")
            .annotate(n=Count("id")).values_list("node_id", "n"))
    return dict(rows)
