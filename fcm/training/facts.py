"""Read one lab's state once, as the plain `LabFacts` the objective checks look at."""
from django.db.models import Count

from fcm.engine.effects.replication import health
from fcm.engine.models import Operation
from fcm.inventory.models import (Checkpoint, Cluster, ClusterAddress, ClusterDisk, ClusterEvent, ClusterNetwork,
                                  FileShare, MigrationNetwork, Node, ReplicaServer, Replication, Role,
                                  VirtualMachine, VirtualSwitch)
from fcm.sim import checkpoints as checkpoint_rules
from fcm.sim import versions
from fcm.sim.objectives import LabFacts
from fcm.engine.models import ValidationReport

#: The console's words for stored values, for the reasons an objective is not met (no query).
WORDS = {
    "role_state": dict(Role.State.choices), "vm_state": dict(VirtualMachine.State.choices),
    "node_state": dict(Node.State.choices), "drain": dict(Node.DrainStatus.choices),
    "cluster_state": dict(Cluster.State.choices), "quorum": dict(Cluster.Quorum.choices),
    "replication_state": dict(Replication.State.choices), "health": dict(Replication.Health.choices),
    "operation": dict(Operation.Kind.choices),
}


def lab_facts(lab, first_event_id=0, sim_now=None):
    """Everything an objective may check, in a constant number of queries (sixteen)."""
    sim_now = sim_now or lab.sim_now()
    roles = {name: {"state": state, "owner": owner or "", "type": type_, "priority": Role.Priority(priority).label}
             for name, state, owner, type_, priority in Role.objects.filter(cluster__lab=lab).values_list(
                 "name", "state", "owner_node__name", "type", "priority")}
    checkpoints = dict(Checkpoint.objects.filter(virtual_machine__lab=lab).values_list("virtual_machine")
                       .annotate(n=Count("pk")).values_list("virtual_machine", "n"))
    vms = {name: {"state": state, "host": host, "clustered": role is not None, "checkpoints": checkpoints.get(pk, 0),
                  "checkpoint_term": checkpoint_rules.term(versions.get(os_version).order), "files": files,
                  "switch": switch, "vcpus": vcpus, "memory_mb": memory, "generation": generation}
           for pk, name, state, host, role, os_version, files, switch, vcpus, memory, generation
           in VirtualMachine.objects.filter(lab=lab).values_list(
               "pk", "name", "state", "host_node__name", "role", "host_node__os_version", "configuration_path",
               "virtual_switch", "vcpus", "memory_mb", "generation")}
    switches = {}
    for host, switch in VirtualSwitch.objects.filter(node__lab=lab).values_list("node__name", "name"):
        switches.setdefault(host, []).append(switch)
    shares = {}
    for server, share, host in FileShare.objects.filter(lab=lab).values_list(
            "server__name", "name", "full_access__name"):
        shares.setdefault(f"\\\\{server}\\{share}", {"full_access": []})["full_access"] += [host] if host else []
    nodes = {}
    members = {}
    subnets = {}
    for name, subnet in MigrationNetwork.objects.filter(node__lab=lab).order_by("priority", "pk").values_list(
            "node__name", "subnet"):
        subnets.setdefault(name, []).append(subnet)
    replica_hosts = set(ReplicaServer.objects.filter(lab=lab, enabled=True, node__isnull=False)
                        .values_list("node__name", flat=True))
    for node in Node.objects.filter(lab=lab).only(
            "name", "state", "power_state", "drain_status", "cluster_id", "os_version", "vm_migration_enabled",
            "migration_authentication", "migration_performance", "use_any_network_for_migration"):
        name, cluster_id = node.name, node.cluster_id
        nodes[name] = {"state": node.state if cluster_id else "", "power": node.power_state,
                       "drain": node.drain_status,
                       "live_migrations": "Enabled" if node.vm_migration_enabled else "Disabled",
                       "authentication": node.migration_authentication,
                       "performance": node.live_migration_performance,
                       "migration_networks": "any" if node.use_any_network_for_migration
                       else subnets.get(name, []),
                       "replica_server": "Enabled" if name in replica_hosts else "Disabled",
                       "switches": switches.get(name, [])}
        if cluster_id:
            members.setdefault(cluster_id, []).append(name)
    addresses = {}
    for cluster_id, ip in ClusterAddress.objects.filter(cluster__lab=lab).values_list("cluster_id", "ip_address"):
        addresses.setdefault(cluster_id, []).append(ip)
    witnesses = {cluster_id: (name, f"{letter}:" if letter else "")
                 for cluster_id, name, letter in ClusterDisk.objects.filter(
                     cluster__lab=lab, assignment=ClusterDisk.Assignment.WITNESS).values_list(
                     "cluster_id", "name", "disk__drive_letter")}
    clusters = {}
    for c in Cluster.objects.filter(lab=lab):
        witness, drive = witnesses.get(c.pk, ("", ""))
        clusters[c.name] = {"state": c.state, "quorum": c.quorum_type, "witness": witness, "witness_drive": drive,
                            "csv_enabled": c.csv_enabled, "nodes": members.get(c.pk, []),
                            "addresses": addresses.get(c.pk, [])}
    events = tuple((eid, node or "", role or "") for eid, node, role in ClusterEvent.objects.filter(
        lab=lab, pk__gt=first_event_id).order_by("sim_time", "pk").values_list("event_id", "node__name", "role__name"))
    validations = tuple({"nodes": r.nodes, "failed": _count(r.results, ValidationReport.TestStatus.FAILED),
                         "warnings": _count(r.results, ValidationReport.TestStatus.WARNING)}
                        for r in ValidationReport.objects.filter(lab=lab).exclude(
                            outcome__in=("", ValidationReport.Outcome.CANCELED))
                        .order_by("-started_at", "-pk").only("nodes", "results"))
    replications = {rep.primary_vm.name: {"state": rep.state,
                                          "health": health(rep, sim_now).level}
                    for rep in Replication.objects.filter(lab=lab).select_related("primary_vm")}
    operations = tuple((kind, role or "", target or source or "") for kind, role, target, source in
                       Operation.objects.filter(lab=lab, state=Operation.State.COMPLETED).order_by("finished_at", "pk")
                       .values_list("kind", "role__name", "target_node__name", "source_node__name"))
    disks = tuple({"cluster": cluster, "name": name, "lun": lun, "owner": owner or "", "state": state,
                   "assigned": role if assignment == ClusterDisk.Assignment.ROLE and role
                   else ClusterDisk.Assignment(assignment).label, "drive": f"{letter}:" if letter else ""}
                  for cluster, name, lun, owner, state, assignment, role, letter in ClusterDisk.objects.filter(
                      cluster__lab=lab).order_by("cluster__name", "name").values_list(
                      "cluster__name", "name", "disk__name", "owner_node__name", "state", "assignment", "role__name",
                      "disk__drive_letter"))
    networks = tuple({"cluster": cluster, "name": name, "subnet": subnet, "state": state,
                      "role": ClusterNetwork.Role(role).label}
                     for cluster, name, subnet, state, role in ClusterNetwork.objects.filter(
                         cluster__lab=lab).order_by("cluster__name", "name").values_list(
                         "cluster__name", "name", "network__subnet", "state", "role"))
    return LabFacts(roles=roles, vms=vms, nodes=nodes, clusters=clusters, events=events, validations=validations,
                    replications=replications, operations=operations, disks=disks, networks=networks,
                    shares=shares, words=WORDS)


def _count(results, status):
    return sum(1 for r in results if r.get("status") == status)
