"""Cluster lifecycle: validation runs, cluster creation, storage changes.

Facts for fcm.sim.validation are read from the lab here; what the tests
decide stays in fcm.sim. Results are computed when the run starts and
revealed test by test as the engine's clock passes each test's duration.
"""
from django.db import transaction

from fcm.inventory.models import (
    Cluster, ClusterAddress, ClusterDisk, ClusterEvent, ClusterNetwork, Disk, DiskPath, Network,
    NetworkAdapter, Node, Resource, Role, VirtualMachine,
)
from fcm.sim import networks as netsim
from fcm.sim import quorum, validation

from .errors import EngineError
from .models import Operation, Outbox

VALIDATE_PHASE = "Validating"


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
            offline_resources=tuple(Resource.objects.filter(role__cluster=cluster).exclude(state="Online")
                                    .values_list("name", flat=True)),
            roles=tuple(Role.objects.filter(cluster=cluster).values_list("name", flat=True)),
            networks=tuple(ClusterNetwork.objects.filter(cluster=cluster).values_list("name", flat=True)),
            volumes=tuple(ClusterDisk.objects.filter(cluster=cluster).values_list("name", flat=True)))
    return validation.Facts(version_order, servers, disks, vms, cluster_facts)


def start_validation(user, lab, node_names, selected=None, cluster=None):
    from fcm.wizards.models import ValidationReport

    from . import services

    facts = gather_facts(lab, node_names, cluster)
    results = validation.run(facts, selected, existing_cluster=cluster is not None)
    sim_now = lab.sim_now()
    phases, t = [], 0.0
    for test, _ in results:
        cost = test.cost(facts)
        phases.append({"name": test.name, "start_s": t, "end_s": t + cost, "state": VALIDATE_PHASE,
                       "detail": test.category})
        t += cost
    with transaction.atomic():
        op = Operation.objects.create(
            lab=lab, kind=Operation.Kind.VALIDATION, cluster=cluster, requested_by=user, was_running=False,
            state=Operation.State.RUNNING, queued_at=sim_now, started_at=sim_now, next_due_at=sim_now,
            plan={"phases": phases, "total_s": t, "downtime_s": 0, "summary": f"{len(results)} tests"})
        report = ValidationReport.objects.create(
            lab=lab, cluster=cluster, operation=op, created_by=user, nodes=list(facts.names),
            version_order=facts.version_order, started_at=sim_now,
            results=[{"category": test.category, "name": test.name, "description": test.description,
                      "status": r.status, "lines": list(r.lines),
                      "table": [list(r.table[0]), [list(row) for row in r.table[1]]] if r.table else None}
                     for test, r in results])
        op.result = {"report": report.pk}
        op.save(update_fields=["result"])
        services.mark(lab.pk, Outbox.Kind.OPERATION, op.pk)
    services.advance(op, sim_now)
    return op, report


def finish_validation(op, cancelled=False):
    from fcm.wizards.models import ValidationReport

    report = ValidationReport.objects.filter(operation=op).first()
    if report is None:
        return
    if cancelled:
        done = max(op.phase_index - 1, 0)
        for r in report.results[done:]:
            r["status"] = validation.CANCELED
            r["lines"] = ["The test was canceled."]
    report.completed_at = op.finished_at
    report.outcome = "canceled" if cancelled else validation.overall(r["status"] for r in report.results)
    report.save(update_fields=["results", "completed_at", "outcome"])


# -- Create Cluster --------------------------------------------------------------

CREATE_PHASES = (
    ("Forming cluster", 2.0), ("Creating cluster name object in Active Directory", 2.0),
    ("Bringing resources online", 2.0), ("Configuring quorum", 1.0),
)


def start_create_cluster(user, lab, params):
    from . import services

    phases, t = [], 0.0
    steps = list(CREATE_PHASES)
    steps[0] = ("Forming cluster", 1.5 * len(params["nodes"]))
    if params.get("add_storage"):
        steps.append(("Adding eligible storage", 1.0))
    for name, seconds in steps:
        phases.append({"name": name, "start_s": t, "end_s": t + seconds, "state": "Creating", "detail": ""})
        t += seconds
    sim_now = lab.sim_now()
    with transaction.atomic():
        op = Operation.objects.create(
            lab=lab, kind=Operation.Kind.CREATE_CLUSTER, requested_by=user, was_running=False,
            state=Operation.State.RUNNING, queued_at=sim_now, started_at=sim_now, next_due_at=sim_now,
            plan={"phases": phases, "total_s": t, "downtime_s": 0, "summary": f"Create {params['name']}",
                  "params": params})
        services.mark(lab.pk, Outbox.Kind.OPERATION, op.pk)
    services.advance(op, sim_now)
    return op


def create_cluster(op, sim_time):
    """Build the cluster the wizard described (at the end of its progress)."""
    from . import services

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
    services.log_event(lab, cluster, ClusterEvent.Level.INFORMATION, 1201,
                       f"The Cluster service brought the cluster {cluster.name} online: the cluster name and "
                       f"IP address resources came online on {nodes[0].name}.",
                       node=nodes[0], sim_time=sim_time, task_category="Resource Control Manager")
    op.result = {"cluster": cluster.pk}
    Operation.objects.filter(pk=op.pk).update(result=op.result, cluster=cluster)
    return cluster


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


# -- Cluster Shared Volumes ------------------------------------------------------

class StorageError(EngineError):
    """A storage change the product refuses; the message says why."""


def enable_csv(cluster):
    """2008 R2: Enable Cluster Shared Volumes (the notice has been accepted)."""
    if not cluster.version.csv:
        raise StorageError("Cluster Shared Volumes need Windows Server 2008 R2 or later.")
    if cluster.csv_enabled:
        raise StorageError("Cluster Shared Volumes are already enabled.")
    Cluster.objects.filter(pk=cluster.pk).update(csv_enabled=True)


def add_to_csv(cluster_disk):
    with transaction.atomic():
        cd = ClusterDisk.objects.select_for_update(of=("self",)).select_related("cluster", "disk").get(pk=cluster_disk.pk)
        if not cd.cluster.csv_enabled:
            raise StorageError("Enable Cluster Shared Volumes on this cluster first.")
        if cd.assignment != ClusterDisk.Assignment.AVAILABLE:
            raise StorageError(f"{cd.name} is not in Available Storage ({cd.assigned_to}); only an available "
                               "disk can become a Cluster Shared Volume.")
        used = set(ClusterDisk.objects.filter(cluster=cd.cluster, csv_number__isnull=False)
                   .values_list("csv_number", flat=True))
        number = next(n for n in range(1, len(used) + 2) if n not in used)
        updated = ClusterDisk.objects.filter(pk=cd.pk, assignment=ClusterDisk.Assignment.AVAILABLE).update(
            assignment=ClusterDisk.Assignment.CSV, csv_number=number)
        if not updated:
            raise StorageError(f"{cd.name} changed meanwhile.")
    return number


def remove_from_csv(cluster_disk):
    with transaction.atomic():
        cd = ClusterDisk.objects.select_for_update(of=("self",)).select_related("cluster", "disk").get(pk=cluster_disk.pk)
        if cd.assignment != ClusterDisk.Assignment.CSV:
            raise StorageError(f"{cd.name} is not a Cluster Shared Volume.")
        users = sorted(set(VirtualMachine.objects.filter(configuration_disk=cd.disk).values_list("name", flat=True))
                       | set(VirtualMachine.objects.filter(hard_disks__disk=cd.disk).values_list("name", flat=True)))
        if users:
            raise StorageError(f"{cd.volume_path} holds files of {', '.join(users)}; move their storage "
                               "before removing the volume from Cluster Shared Volumes.")
        ClusterDisk.objects.filter(pk=cd.pk).update(assignment=ClusterDisk.Assignment.AVAILABLE, csv_number=None)


# -- membership: Evict, Destroy, Add Node -------------------------------------------

def evict_node(node):
    """More Actions -> Evict: the node leaves the cluster (event 1011)."""
    from . import services

    with transaction.atomic():
        node = Node.objects.select_related("cluster__lab").get(pk=node.pk)
        cluster = node.cluster
        if cluster is None:
            raise StorageError(f"{node.name} is not in a cluster.")
        others = list(Node.objects.filter(cluster=cluster).exclude(pk=node.pk).order_by("node_id"))
        if not others:
            raise StorageError(f"{node.name} is the last node of {cluster.name}: destroy the cluster instead.")
        owned = list(Role.objects.filter(owner_node=node).values_list("name", flat=True)[:5])
        if owned:
            raise StorageError(f"{node.name} owns {', '.join(owned)}; move its roles to another node first.")
        if Operation.objects.filter(state__in=Operation.ACTIVE).filter(
                models_q_node(node)).exists():
            raise StorageError(f"A move involving {node.name} is under way; wait for it to finish.")
        up = next((n for n in others if n.state == Node.State.UP), others[0])
        ClusterDisk.objects.filter(cluster=cluster, owner_node=node).update(owner_node=up)
        Node.objects.filter(pk=node.pk).update(cluster=None, state="", node_id=None, node_weight=1,
                                               dynamic_weight=1)
        services.log_event(cluster.lab, cluster, ClusterEvent.Level.WARNING, 1011,
                           f"Cluster node '{node.name}' has been evicted from the failover cluster.",
                           node=up, task_category="Node Mgr")
    return cluster


def models_q_node(node):
    from django.db.models import Q
    return Q(source_node=node) | Q(target_node=node)


def destroy_cluster(cluster):
    """More Actions -> Destroy Cluster: only once every role is removed."""
    with transaction.atomic():
        cluster = Cluster.objects.select_for_update().get(pk=cluster.pk)
        roles = list(Role.objects.filter(cluster=cluster).values_list("name", flat=True)[:5])
        if roles:
            raise StorageError(f"Remove the clustered roles first ({', '.join(roles)}): a cluster with roles "
                               "cannot be destroyed.")
        Node.objects.filter(cluster=cluster).update(cluster=None, state="", node_id=None)
        ClusterDisk.objects.filter(cluster=cluster).delete()
        lab = cluster.lab
        name = cluster.name
        cluster.delete()
    return lab, name


def start_add_nodes(user, cluster, node_names, add_storage):
    from . import services

    sim_now = cluster.lab.sim_now()
    phases, t = [], 0.0
    for name in node_names:
        phases.append({"name": f"Adding {name}: joining the cluster", "start_s": t, "end_s": t + 3.0,
                       "state": "Joining", "detail": name})
        t += 3.0
    if add_storage:
        phases.append({"name": "Adding eligible storage", "start_s": t, "end_s": t + 1.0, "state": "", "detail": ""})
        t += 1.0
    with transaction.atomic():
        op = Operation.objects.create(
            lab=cluster.lab, kind=Operation.Kind.ADD_NODE, cluster=cluster, requested_by=user, was_running=False,
            state=Operation.State.RUNNING, queued_at=sim_now, started_at=sim_now, next_due_at=sim_now,
            plan={"phases": phases, "total_s": t, "downtime_s": 0, "summary": f"Add {', '.join(node_names)}",
                  "params": {"nodes": node_names, "add_storage": add_storage}})
        services.mark(cluster.lab_id, Outbox.Kind.OPERATION, op.pk)
    services.advance(op, sim_now)
    return op


def node_joining(op, phase):
    """A node of an Add Node run starts joining: it shows in Nodes as Joining."""
    from . import services

    cluster = op.cluster
    node = Node.objects.get(lab=op.lab, name=phase["detail"])
    next_id = (Node.objects.filter(cluster=cluster).order_by("-node_id").values_list("node_id", flat=True)
               .first() or 0) + 1
    Node.objects.filter(pk=node.pk).update(cluster=cluster, node_id=next_id, state=Node.State.JOINING,
                                           node_weight=1, dynamic_weight=0)
    services.mark_nodes(op.lab_id, node)


def nodes_joined(op, sim_time):
    from . import services

    cluster = op.cluster
    names = op.plan["params"]["nodes"]
    Node.objects.filter(cluster=cluster, name__in=names).update(state=Node.State.UP, dynamic_weight=1)
    if op.plan["params"].get("add_storage"):
        nodes = list(Node.objects.filter(cluster=cluster))
        count = ClusterDisk.objects.filter(cluster=cluster).count()
        for i, disk in enumerate(eligible_disks(cluster.lab, nodes), start=count + 1):
            ClusterDisk.objects.create(cluster=cluster, disk=disk, name=f"Cluster Disk {i}", owner_node=nodes[0])
    for node in Node.objects.filter(cluster=cluster, name__in=names):
        services.mark_nodes(cluster.lab_id, node)


# -- quorum ----------------------------------------------------------------------------

def start_configure_quorum(user, cluster, params):
    from . import services

    sim_now = cluster.lab.sim_now()
    phases = [{"name": "Configuring the cluster quorum", "start_s": 0.0, "end_s": 1.5, "state": "", "detail": ""}]
    with transaction.atomic():
        op = Operation.objects.create(
            lab=cluster.lab, kind=Operation.Kind.CONFIGURE_QUORUM, cluster=cluster, requested_by=user,
            was_running=False, state=Operation.State.RUNNING, queued_at=sim_now, started_at=sim_now,
            next_due_at=sim_now, plan={"phases": phases, "total_s": 1.5, "downtime_s": 0,
                                       "summary": "Configure quorum", "params": params})
        services.mark(cluster.lab_id, Outbox.Kind.OPERATION, op.pk)
    services.advance(op, sim_now)
    return op


def apply_quorum(op):
    """Set the mode and witness the Configure Cluster Quorum Settings wizard chose."""
    p = op.plan["params"]
    cluster = Cluster.objects.get(pk=op.cluster_id)
    ClusterDisk.objects.filter(cluster=cluster, assignment=ClusterDisk.Assignment.WITNESS).update(
        assignment=ClusterDisk.Assignment.AVAILABLE)
    cluster.quorum_type = p["mode"]
    cluster.file_share_witness = p.get("file_share", "") if p["mode"] == quorum.NODE_AND_FILE_SHARE else ""
    if p.get("witness_disk"):
        ClusterDisk.objects.filter(cluster=cluster, pk=p["witness_disk"]).update(
            assignment=ClusterDisk.Assignment.WITNESS, role=None, csv_number=None)
    cluster.save(update_fields=["quorum_type", "file_share_witness"])


def eligible_witnesses(cluster):
    """Disks a witness may be: the current witness or Available Storage, at least 512 MB."""
    return ClusterDisk.objects.filter(
        cluster=cluster, assignment__in=[ClusterDisk.Assignment.AVAILABLE, ClusterDisk.Assignment.WITNESS],
        disk__size_bytes__gte=quorum.MIN_WITNESS_BYTES).select_related("disk").order_by("name")
