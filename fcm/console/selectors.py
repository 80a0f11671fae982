"""Read-side queries of the console: one place that decides what each page loads.

Every list is one query for the page of rows plus one count, whatever the
lab's size (select_related for every column shown, no per-row lookups), so
the console stays constant in queries with 8,000 roles.
"""
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from fcm.engine.models import Operation
from fcm.inventory.models import (
    Cluster, ClusterDisk, ClusterEvent, ClusterNetwork, Disk, DiskPath, Domain, FileShare, Lab, NetworkAdapter,
    Node, PreferredOwner, RecoveryPoint, ReplicaServer, Replication, Resource, Role, VirtualMachine, WanLink,
)
from fcm.engine.models import LabHealth, ValidationReport
from fcm.sim import versions
from fcm.sim import servers as server_rules


def lab_health_notice(lab, now):
    """The notice a console shows while the engine cannot advance `lab` ("" when it runs)."""
    record = LabHealth.objects.filter(lab=lab).first()
    return record.notice(now) if record else ""


def labs_for(user):
    """The lab list: the labs a user owns or that are shared with them, and for a trainee the demo lab
    of their session; the administrator's lists every lab, trainees' labs included (they open read-only).
    A trainer reaches their class's labs from the session dashboard (thirty at a time), not here."""
    labs = Lab.objects.visible_to(user)
    if not user.is_superuser:
        labs = labs.exclude(Q(trainee__isnull=False) & ~Q(owner=user))
    return (
        labs.select_related("owner", "trainee__session")
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


def recent_events(cluster, **about):
    """The five latest events about a role or a node (its details' Recent Cluster Events)."""
    return list(events(cluster).filter(**about)[:5])


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
            Prefetch("virtual_machines", queryset=VirtualMachine.objects.select_related(
                "role", "configuration_disk", "configuration_share__server").order_by("name")),
            Prefetch("shares", queryset=FileShare.objects.with_usage().select_related("server")
                     .prefetch_related("full_access")),
        )
        .get(lab=lab, pk=pk)
    )


def server_in(lab, pk):
    """A server of the lab (with its cluster and domain), or None."""
    return Node.objects.select_related("domain", "cluster__domain", "lab").filter(lab=lab, pk=pk).first()


def server_vm(node, pk):
    """A virtual machine of `node` with what its details and actions show; raises ObjectDoesNotExist."""
    return VirtualMachine.objects.select_related("role__cluster__domain", "host_node__cluster", "configuration_disk",
                                                 "configuration_share__server").get(host_node=node, pk=pk)


def server_share(node, pk):
    """A file share of `node` with who has Full Control; raises ObjectDoesNotExist."""
    return FileShare.objects.select_related("server__domain").prefetch_related("full_access").get(server=node, pk=pk)


def server_adapter(node, pk):
    """A network adapter of `node`; raises ObjectDoesNotExist."""
    return NetworkAdapter.objects.select_related("network", "node").get(node=node, pk=pk)


def hyperv_servers(lab):
    """The lab's servers Hyper-V Manager can connect to (the Hyper-V role installed), by name."""
    return list(Node.objects.filter(lab=lab, hyperv_installed=True).order_by("name"))


def hyperv_server(lab, pk):
    """A server of the lab with the Hyper-V role; raises ObjectDoesNotExist."""
    return Node.objects.select_related("domain", "cluster__domain").get(lab=lab, pk=pk, hyperv_installed=True)


def hyperv_vms(node, q=""):
    """Hyper-V Manager's Virtual Machines list: every VM on the server, clustered or not, by name."""
    qs = VirtualMachine.objects.filter(host_node=node).select_related("role", "host_node").order_by("name")
    return qs.filter(name__icontains=q) if q else qs


def hyperv_vm(node, pk):
    """A VM of the server with what its details show (drives, checkpoints); raises ObjectDoesNotExist."""
    return VirtualMachine.objects.select_related("role__cluster__domain", "host_node__cluster", "configuration_disk",
                                                 "current_checkpoint") \
        .prefetch_related("hard_disks", "checkpoints").get(host_node=node, pk=pk)


def checkpoint_tree(vm):
    """[(checkpoint, depth)] in the order Hyper-V Manager's Checkpoints pane draws them (each under its parent,
    oldest first), with "Now" as (None, depth) under the VM's current checkpoint. Depths past 15 are drawn at
    15 (the stylesheet indents that far)."""
    everything = list(vm.checkpoints.all())
    children = {}
    for c in everything:
        children.setdefault(c.parent_id, []).append(c)
    out = []

    def walk(parent_id, depth):
        for c in children.get(parent_id, []):
            out.append((c, min(depth, 15)))
            walk(c.pk, depth + 1)
            if c.pk == vm.current_checkpoint_id:
                out.append((None, min(depth + 1, 15)))
    walk(None, 0)
    if everything and vm.current_checkpoint_id is None:
        out.append((None, 0))
    return out


def vm_operations(vms):
    """{VM id: its state change or move under way} for `vms` (one query)."""
    return {op.virtual_machine_id: op for op in Operation.objects.filter(
        virtual_machine__in=vms, state__in=Operation.ACTIVE).select_related("target_node")}


def lab_domains(lab):
    return list(Domain.objects.filter(lab=lab).order_by("name"))


def iscsi_targets(node):
    """[(LUN, IQN, connected)] of the lab's iSCSI LUNs, as the iSCSI Initiator's Targets tab lists them."""
    connected = set(DiskPath.objects.filter(node=node).values_list("disk_id", flat=True))
    return [(d, server_rules.target_iqn(d.name), d.pk in connected)
            for d in Disk.objects.filter(lab_id=node.lab_id, bus_type=Disk.BusType.ISCSI).order_by("name")]


def iscsi_lun(node, pk):
    return Disk.objects.filter(lab_id=node.lab_id, pk=pk).first()


def available_updates(node, sim_now):
    """(latest update level released, monthly updates the server lacks, counting those waiting for a restart)."""
    latest = server_rules.latest_update_level(sim_now.date())
    level = (node.pending_changes or {}).get("updates") or node.update_level
    return latest, server_rules.months_behind(level, latest)


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


# -- the root and the cluster summary ------------------------------------------------------------

def console_version(lab, clusters):
    """The version whose snap-in the lab's console is: its newest cluster's, else its newest server's."""
    found = [c.version for c in clusters] or [versions.get(v) for v in lab_os_versions(lab)]
    return max(found, key=lambda v: v.order, default=versions.get("2012"))


def lab_os_versions(lab):
    """The OS versions of the lab's servers (the root's wording follows the newest)."""
    return list(lab.nodes.values_list("os_version", flat=True).distinct())


def cluster_summary(cluster):
    """What the cluster's summary lists and counts."""
    return {
        "summary_nodes": list(nodes(cluster)[:64]),
        "core_addresses": list(cluster.addresses.select_related("network")),
        "witness": ClusterDisk.objects.filter(
            cluster=cluster, assignment=ClusterDisk.Assignment.WITNESS).select_related("disk").first(),
        "role_count": cluster.roles.count(),
        "recent_problem_count": cluster.events.filter(level__lte=ClusterEvent.Level.ERROR).count(),
        "network_count": cluster.cluster_networks.count(),
        "disk_count": cluster.cluster_disks.count(),
    }


def voting_node_count(cluster):
    """Nodes with a vote assigned (NodeWeight 1)."""
    return cluster.nodes.filter(node_weight=1).count()


def up_node_weights(cluster):
    """{node name: assigned vote} of the nodes that are Up."""
    return dict(Node.objects.filter(cluster=cluster, state=Node.State.UP).values_list("name", "node_weight"))


def running_vm_loads(cluster):
    """(name, host node name, memory MB, role priority) of the cluster's running VMs."""
    return list(VirtualMachine.objects.filter(role__cluster=cluster, state__in=VirtualMachine.RUNNING_STATES)
                .values_list("name", "host_node__name", "memory_mb", "role__priority"))


def last_validation_report(cluster):
    return ValidationReport.objects.filter(cluster=cluster).order_by("-pk").first()


def wan_links_of(cluster):
    """The WAN links between the cluster's sites and others."""
    sites = set(cluster.nodes.exclude(site="").values_list("site", flat=True))
    return [w for w in WanLink.objects.filter(lab_id=cluster.lab_id) if {w.site_a, w.site_b} & sites]


def wan_link(lab, pk):
    return WanLink.objects.filter(lab=lab, pk=pk).first()


# -- one thing of a cluster, by the pk a URL or a form gives (None when it is not there) -----------

def visible_labs(user):
    """Labs the user may open (Lab.objects.visible_to: their own, shared with them, ...)."""
    return Lab.objects.visible_to(user)


def clusters_shown():
    """Clusters with what every cluster page shows of them (domain, lab)."""
    return Cluster.objects.select_related("domain", "lab")


def cluster_row(cluster):
    """The cluster read again (a form edits a copy, not the one the page shows)."""
    return Cluster.objects.get(pk=cluster.pk)


def node_in(cluster, pk):
    return Node.objects.filter(cluster=cluster, pk=pk).first()


def node_count(cluster):
    return cluster.nodes.count()


def cluster_disk(cluster, pk):
    """Raises ObjectDoesNotExist when the disk is not the cluster's."""
    return ClusterDisk.objects.select_related("disk", "cluster").get(cluster=cluster, pk=pk)


def cluster_disk_in(cluster, pk):
    return ClusterDisk.objects.filter(cluster=cluster, pk=pk).first()


def available_disks(cluster):
    """Disks in Available Storage (they can become Cluster Shared Volumes)."""
    return ClusterDisk.objects.filter(cluster=cluster, assignment=ClusterDisk.Assignment.AVAILABLE) \
        .select_related("disk").order_by("name")


def cluster_network_in(cluster, pk):
    return ClusterNetwork.objects.filter(cluster=cluster, pk=pk).first()


def live_migration_networks(cluster):
    """The cluster's networks in live migration preference order (ranked first, then by metric)."""
    nets = list(ClusterNetwork.objects.filter(cluster=cluster).select_related("network"))
    return sorted(nets, key=lambda n: (n.live_migration_rank is None, n.live_migration_rank or 0, n.metric))


def adapter_in(cluster, node_pk, pk):
    """A network adapter of a node of the cluster."""
    return NetworkAdapter.objects.filter(node__cluster=cluster, node_id=node_pk, pk=pk).first()


def role_name_taken(cluster, name, role):
    """Whether another role of the cluster has that name (case aside)."""
    return Role.objects.filter(cluster=cluster, name__iexact=name).exclude(pk=role.pk).exists()


def roles_by_pk(cluster, pks):
    """The cluster's roles among `pks` (others are dropped), as the list orders them."""
    return list(roles(cluster).filter(pk__in=pks).select_related("virtual_machine__host_node"))


def nodes_by_name(cluster):
    return {n.name: n for n in Node.objects.filter(cluster=cluster)}


# -- moves and replication -----------------------------------------------------------------------

def active_operation(role):
    """The operation under way on the role (a move, a power change), if any."""
    return Operation.objects.filter(role=role, state__in=Operation.ACTIVE).first()


def replication_of(role):
    """(relationship, side) for a VM role: side is 'Primary' or 'Replica'; (None, '') if not replicated.
    One query, remembered on the role (the details, the Actions pane and pushes all ask)."""
    if hasattr(role, "_replication_of"):
        return role._replication_of
    vm = getattr(role, "virtual_machine", None)
    # No select_related: its joins cost more to build than the few lazy reads of a replicated VM.
    rep = None if vm is None else Replication.objects.filter(Q(primary_vm=vm) | Q(replica_vm=vm)).first()
    role._replication_of = (rep, "Primary" if rep.primary_vm_id == vm.pk else "Replica") if rep else (None, "")
    return role._replication_of


def replication_of_vm(vm):
    """(relationship, side) for a VM in no cluster, as `replication_of` gives it for a role (remembered too)."""
    if not hasattr(vm, "_replication_of"):
        rep = Replication.objects.filter(Q(primary_vm=vm) | Q(replica_vm=vm)).first()
        vm._replication_of = (rep, "Primary" if rep.primary_vm_id == vm.pk else "Replica") if rep else (None, "")
    return vm._replication_of


def recovery_points(rep):
    return RecoveryPoint.objects.filter(replication=rep)


def broker_server(cluster, role_pk):
    """The Replica Broker role's settings; raises ObjectDoesNotExist when the role is no broker of the cluster."""
    return ReplicaServer.objects.get(broker_role__cluster=cluster, broker_role_id=role_pk)


def standalone_hyperv_server(lab, pk):
    """A Hyper-V server of the lab that is in no cluster (its Replication Configuration is its own)."""
    return Node.objects.filter(lab=lab, pk=pk, cluster__isnull=True, hyperv_installed=True).first()


def replica_server_of(lab, node):
    """The server's Replication Configuration (unsaved, the defaults, when it was never configured)."""
    return ReplicaServer.objects.filter(node=node).first() or ReplicaServer(lab=lab, node=node, name=node.name)


# -- incidents -----------------------------------------------------------------------------------

def node_failures(cluster):
    """The cluster's node failures, newest first (the incident timeline's list)."""
    return Operation.objects.filter(cluster=cluster, kind=Operation.Kind.NODE_FAILURE) \
        .select_related("source_node").order_by("-started_at")


def node_failure(cluster, pk):
    return node_failures(cluster).filter(pk=pk).first()


def roles_failed_at(cluster, declared):
    """Events 1069 logged when a node was declared down: one per role it held."""
    return ClusterEvent.objects.filter(cluster=cluster, event_id=1069, sim_time=declared) \
        .select_related("role").order_by("role__name")


def first_boot_after(role, since):
    """The role's first VM start at or after `since` (where a failover placed it)."""
    return Operation.objects.filter(role=role, kind=Operation.Kind.VM_POWER, started_at__gte=since) \
        .select_related("target_node").order_by("started_at").first()


def role_could_not_be_placed(role, at):
    """Event 1205 at `at`: no node could bring the role online."""
    return ClusterEvent.objects.filter(role=role, event_id=1205, sim_time=at).exists()
