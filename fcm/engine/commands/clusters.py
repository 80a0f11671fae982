"""Cluster commands: Validate, Create Cluster, Add Node, quorum, Cluster Shared Volumes, Evict, Destroy.

Facts for fcm.sim.validation are read from the lab (engine/facts.py); what
the tests decide stays in fcm.sim. Results are computed when the run starts
and revealed test by test as the engine's clock passes each test's duration.
"""
from django.db import transaction
from django.db.models import Q

from fcm.inventory.models import (
    Cluster, ClusterDisk, ClusterEvent, Node, Role, VirtualMachine,
)
from fcm.sim import validation

from .. import facts, lifecycle
from ..errors import MembershipError, StorageError, ValidationRunningError
from ..events import log_event
from ..models import Operation, Outbox, ValidationReport
from ..outbox import mark
from .. import phases as keys
from ..effects.nodes import JOIN_S, node_operation
from ..phases import phase, sequence


def start_validation(user, lab, node_names, selected=None, cluster=None):
    """Validate a Configuration: every test's result is decided now and revealed as its time passes."""
    refuse_concurrent_validation(lab, None, cluster, node_names)  # before the work; again when it is written
    lab_facts = facts.gather_facts(lab, node_names, cluster)
    results = validation.run(lab_facts, selected, existing_cluster=cluster is not None)
    phases, _ = sequence((keys.VALIDATION_TEST, test.name, test.cost(lab_facts), "Validating", test.category)
                                   for test, _ in results)
    sim_now = lab.sim_now()
    reports = []

    def attach_report(op):
        refuse_concurrent_validation(lab, op, cluster, lab_facts.names)
        report = ValidationReport.objects.create(
            lab=lab, cluster=cluster, operation=op, created_by=user, nodes=list(lab_facts.names),
            version_order=lab_facts.version_order, started_at=sim_now,
            results=[{"category": test.category, "name": test.name, "description": test.description,
                      "status": r.status, "lines": list(r.lines),
                      "table": [list(r.table[0]), [list(row) for row in r.table[1]]] if r.table else None}
                     for test, r in results])
        op.result = {"report": report.pk}
        op.save(update_fields=["result"])
        reports.append(report)

    op = lifecycle.begin(lab, Operation.Kind.VALIDATION, lifecycle.make_plan(phases, f"{len(results)} tests"),
                         sim_now=sim_now, prepare=attach_report, cluster=cluster, requested_by=user,
                         was_running=False)
    return op, reports[0]


def refuse_concurrent_validation(lab, op, cluster, names):
    """One validation run per cluster, or per server, at a time, as Windows allows.

    Checked in the transaction that creates `op` (after the lab's row is locked, lifecycle.admit),
    so of two runs started at once the second is refused."""
    running = (ValidationReport.objects.filter(lab=lab, operation__state__in=Operation.ACTIVE)
               .exclude(operation=op).values_list("cluster_id", "nodes"))
    for cluster_id, nodes in running:
        if cluster is not None and cluster_id == cluster.pk:
            raise ValidationRunningError(
                f"A validation of {cluster.name} is already running. Wait for it to finish, or cancel it "
                "in its Validating page, then run Validate a Configuration again.")
        shared = sorted(set(nodes) & set(names))
        if shared:
            raise ValidationRunningError(
                f"A validation that includes {', '.join(shared)} is already running. Wait for it to finish, "
                "or cancel it in its Validating page, then run Validate a Configuration again.")


# -- Create Cluster --------------------------------------------------------------

CREATE_STEPS = (
    ("form", "Forming cluster", 2.0), ("name-object", "Creating cluster name object in Active Directory", 2.0),
    ("bring-online", "Bringing resources online", 2.0), ("quorum", "Configuring quorum", 1.0),
)


def start_create_cluster(user, lab, params):
    """The Create Cluster wizard's Finish: the cluster exists when the progress ends (kinds/create_cluster)."""
    steps = [(key, name, 1.5 * len(params["nodes"]) if key == "form" else seconds, "Creating", "")
             for key, name, seconds in CREATE_STEPS]
    if params.get("add_storage"):
        steps.append(("add-storage", "Adding eligible storage", 1.0, "Creating", ""))
    phases, _ = sequence(steps)
    return lifecycle.begin(lab, Operation.Kind.CREATE_CLUSTER,
                           lifecycle.make_plan(phases, f"Create {params['name']}", params=params),
                           requested_by=user, was_running=False)


# -- Cluster Shared Volumes ------------------------------------------------------
def enable_csv(cluster):
    """2008 R2: Enable Cluster Shared Volumes (the notice has been accepted)."""
    if not cluster.version.csv:
        raise StorageError("Cluster Shared Volumes need Windows Server 2008 R2 or later.")
    if cluster.csv_enabled:
        raise StorageError("Cluster Shared Volumes are already enabled.")
    with transaction.atomic():
        Cluster.objects.filter(pk=cluster.pk).update(csv_enabled=True)
        mark(cluster.lab_id, Outbox.Kind.CLUSTER, cluster.pk)


def add_to_csv(cluster_disk):
    with transaction.atomic():
        cd = (ClusterDisk.objects.select_for_update(of=("self",)).select_related("cluster", "disk")
              .get(pk=cluster_disk.pk))
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
        mark(cd.cluster.lab_id, Outbox.Kind.DISK, cd.pk)
    return number


def remove_from_csv(cluster_disk):
    with transaction.atomic():
        cd = (ClusterDisk.objects.select_for_update(of=("self",)).select_related("cluster", "disk")
              .get(pk=cluster_disk.pk))
        if cd.assignment != ClusterDisk.Assignment.CSV:
            raise StorageError(f"{cd.name} is not a Cluster Shared Volume.")
        users = sorted(set(VirtualMachine.objects.filter(configuration_disk=cd.disk).values_list("name", flat=True))
                       | set(VirtualMachine.objects.filter(hard_disks__disk=cd.disk).values_list("name", flat=True)))
        if users:
            raise StorageError(f"{cd.volume_path} holds files of {', '.join(users)}; move their storage "
                               "before removing the volume from Cluster Shared Volumes.")
        ClusterDisk.objects.filter(pk=cd.pk).update(assignment=ClusterDisk.Assignment.AVAILABLE, csv_number=None)
        mark(cd.cluster.lab_id, Outbox.Kind.DISK, cd.pk)


# -- membership: Evict, Destroy, Add Node -------------------------------------------
def evict_node(node):
    """More Actions -> Evict: the node leaves the cluster (event 1011)."""
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
                Q(source_node=node) | Q(target_node=node)).exists():
            raise StorageError(f"A move involving {node.name} is under way; wait for it to finish.")
        up = next((n for n in others if n.state == Node.State.UP), others[0])
        ClusterDisk.objects.filter(cluster=cluster, owner_node=node).update(owner_node=up)
        Node.objects.filter(pk=node.pk).update(cluster=None, state="", node_id=None, node_weight=1,
                                               dynamic_weight=1)
        log_event(cluster.lab, cluster, ClusterEvent.Level.WARNING, 1011,
                           f"Cluster node '{node.name}' has been evicted from the failover cluster.",
                           node=up, task_category="Node Mgr")
    return cluster


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
        mark(lab.pk, Outbox.Kind.CLOCK)  # consoles re-render their status bar; lists refresh on use
    return lab, name


def start_add_nodes(user, cluster, node_names, add_storage):
    """Add Node: each server joins in turn (Joining in Nodes), then the storage every node sees is added."""
    steps = [(keys.JOIN_NODE, f"Adding {name}: joining the cluster", 3.0, "Joining", name) for name in node_names]
    if add_storage:
        steps.append(("add-storage", "Adding eligible storage", 1.0, "", ""))
    phases, _ = sequence(steps)
    return lifecycle.begin(cluster.lab, Operation.Kind.ADD_NODE, lifecycle.make_plan(
        phases, f"Add {', '.join(node_names)}", params={"nodes": node_names, "add_storage": add_storage}),
        cluster=cluster, requested_by=user, was_running=False)


# -- quorum ----------------------------------------------------------------------------
def start_configure_quorum(user, cluster, params):
    """Configure Cluster Quorum Settings' Finish: the mode and witness apply when the step ends."""
    phases, _ = sequence([("configure-quorum", "Configuring the cluster quorum", 1.5, "", "")])
    return lifecycle.begin(cluster.lab, Operation.Kind.CONFIGURE_QUORUM,
                           lifecycle.make_plan(phases, "Configure quorum", params=params),
                           cluster=cluster, requested_by=user, was_running=False)


def force_cluster_start(user, cluster):
    """More Actions -> Force Cluster Start (Start-ClusterNode -FixQuorum): run without a majority."""
    if cluster.state == Cluster.State.RUNNING:
        raise MembershipError("The cluster is running: Force Cluster Start is only for a cluster that has lost quorum.")
    node = Node.objects.filter(cluster=cluster, power_state=Node.PowerState.ON).exclude(state=Node.State.QUARANTINED) \
        .order_by("name").first()
    if node is None:
        raise MembershipError("No node of the cluster is turned on: power one on first.")
    if Operation.objects.filter(source_node__cluster=cluster, state__in=Operation.ACTIVE,
                                kind=Operation.Kind.NODE_RESTART).exists():
        raise MembershipError("A node is already starting its Cluster service; wait for it to finish.")
    Node.objects.filter(cluster=cluster, power_state=Node.PowerState.ON).update(service_stopped=False)
    return node_operation(user, node, Operation.Kind.NODE_RESTART,
                          [phase(keys.JOIN_CLUSTER, "Starting the Cluster service with /FixQuorum", 0.0, JOIN_S,
                                 "Joining")],
                          extra={"force": True})
