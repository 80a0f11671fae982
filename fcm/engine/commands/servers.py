"""A server's administration, from the Servers view: Hyper-V Manager's actions on a virtual machine in no
cluster, and the places an administrator fixes what validation reports.

- Hyper-V Manager: Start, Turn Off, Shut Down, Save, Pause, Resume (`vm_power`): the same VM_POWER
  operations as a clustered role's (effects/power.py); a clustered VM is refused here, it is managed in
  Failover Cluster Manager.
- System Properties > Computer Name > Change... (`join_domain`): the domain or workgroup, from the next
  restart.
- Server Manager's Add Roles and Features (Add Roles / Add Features before 2012) (`install_features`):
  Failover Clustering at once, Hyper-V at the next restart.
- Internet Protocol Version 4 (TCP/IPv4) Properties of an adapter (`set_ipv4`).
- iSCSI Initiator > Targets: Connect / Disconnect a LUN's target (`connect_target`, `disconnect_target`).
- Windows Update: Install updates (`install_updates`), from the next restart.
- Restart Server (`restart_server`): a NODE_RESTART operation (kinds/node_restart.py) whose length is
  fcm.sim.servers' restart (shutdown, configuring what was pending, the host's boot, a node's join).

Each command checks under the rows it changes (locked), commits the change with its Outbox row, and refuses
with a `ServerError` in the product's words naming the way out, and the dialog field it is about.
"""
import ipaddress

from django.db import transaction

from fcm.inventory.models import (
    ClusterAddress, ClusterDisk, Disk, DiskPath, Domain, Lab, Network, NetworkAdapter, Node, Replication,
    VirtualHardDisk, VirtualMachine,
)
from fcm.sim import servers as model

from ..effects.membership import reconcile, refresh_network_states
from ..effects.nodes import active_node_operations, node_operation
from ..effects.power import POWER_LABELS, request_power
from ..effects.servers import FEATURE_FIELDS, restart_phases
from ..effects.storage import reconcile as reconcile_storage
from ..errors import ServerError
from ..models import Operation
from ..outbox import mark_nodes


def servers_path(node, *more):
    """Where the Servers view shows `node` (and what to click next), as refusals name it."""
    return " > ".join(["Servers", node.name, *more])


def node_path(node, *more):
    """Where Failover Cluster Manager shows a cluster node."""
    return " > ".join(["Failover Cluster Manager", node.cluster.fqdn, "Nodes", node.name, *more])


def locked_node(node):
    """The server's row, locked for this transaction (every command that changes a server takes it first)."""
    return Node.objects.select_for_update(of=("self",)).select_related("cluster__domain", "domain", "lab") \
        .get(pk=node.pk)


def require_on(node, what):
    """Refuse, saying when `what` can be done, unless the server is on."""
    if node.power_state == Node.PowerState.RESTARTING:
        raise ServerError(f"{node.name} is restarting; {what} once it is On again.")
    if node.power_state != Node.PowerState.ON:
        raise ServerError(f"{node.name} is turned off; {what} once it runs. Power it on first: "
                          f"{servers_path(node, 'Simulate', 'Power On')}.")


# -- Hyper-V Manager ---------------------------------------------------------------------------------

def vm_power(user, vm, action):
    """Hyper-V Manager's Start / Turn Off / Shut Down / Save / Pause / Resume of a VM in no cluster."""
    vm = VirtualMachine.objects.select_related("role__cluster__domain", "host_node").get(pk=vm.pk)
    if action not in POWER_LABELS:
        raise ServerError("Hyper-V Manager has no such action.")
    if vm.role_id:
        cluster = vm.role.cluster
        raise ServerError(f"{vm.name} is a clustered role of {cluster.name}: a clustered virtual machine is "
                          f"managed in Failover Cluster Manager, so that the cluster knows its state "
                          f"({cluster.fqdn} > {cluster.roles_label} > {vm.role.name}).")
    return request_power(user, vm, action)


def delete_vm(user, vm):
    """Hyper-V Manager's Delete...: the VM's configuration, saved state and checkpoints go; its virtual hard
    disk files stay where they are (Hyper-V never deletes them)."""
    with transaction.atomic():
        vm = VirtualMachine.objects.select_for_update(of=("self",)).select_related("role__cluster", "host_node") \
            .filter(pk=vm.pk).first()
        if vm is None:
            raise ServerError("That virtual machine no longer exists.")
        if vm.role_id:
            raise ServerError(f"{vm.name} is the clustered role {vm.role.name}: remove the role in Failover Cluster "
                              "Manager first (Remove), then delete the virtual machine.")
        if Operation.objects.filter(virtual_machine=vm, state__in=Operation.ACTIVE).exists():
            raise ServerError(f"{vm.name} is changing state or moving; delete it once that is done.")
        if Replication.objects.filter(primary_vm=vm).exists() or Replication.objects.filter(replica_vm=vm).exists():
            raise ServerError(f"Replication is enabled for {vm.name}: remove replication (Replication > Remove "
                              "Replication) before deleting it.")
        if vm.state not in (VirtualMachine.State.OFF, VirtualMachine.State.SAVED):
            raise ServerError(f"{vm.name} is {vm.get_state_display().lower()}: turn it off before deleting it.")
        host = vm.host_node
        vm.delete()
        mark_nodes(host.lab_id, host)


# -- System Properties > Computer Name -------------------------------------------------------------------

def _effective_domain(node):
    pending = node.pending_changes or {}
    if "domain" in pending:
        return pending["domain"]
    return node.domain.name if node.domain_id else ""


def join_domain(user, node, domain="", workgroup=""):
    """Computer Name/Domain Changes: Member of a domain (`domain`) or a workgroup (`workgroup`, domain "").
    The change applies when the server restarts; returns the domain's name ('' for a workgroup)."""
    domain, workgroup = (domain or "").strip(), (workgroup or "").strip()
    with transaction.atomic():
        node = locked_node(node)
        require_on(node, "its domain can be changed")
        if node.cluster_id:
            raise ServerError(f"{node.name} is a node of the cluster {node.cluster.name}: a cluster node cannot "
                              "change its domain. Evict it from the cluster first: "
                              f"{node_path(node, 'More Actions', 'Evict')}.", "domain")
        if not domain and not workgroup:
            raise ServerError("Type the name of the domain to join.", "domain")
        if domain:
            found = Domain.objects.filter(lab=node.lab, name__iexact=domain).first() or \
                Domain.objects.filter(lab=node.lab, netbios_name__iexact=domain).first()
            if found is None:
                raise ServerError(f"The domain '{domain}' does not exist or could not be contacted. Check the "
                                  "name (the lab's domains: " + ", ".join(
                                      Domain.objects.filter(lab=node.lab).values_list("name", flat=True))
                                  + ").", "domain")
            target = found.name
        else:
            target = ""
        current = node.domain.name if node.domain_id else ""
        if _effective_domain(node).lower() == target.lower():
            if current.lower() == target.lower():
                where = f"the domain {current}" if current else "a workgroup"
                raise ServerError(f"{node.name} is already a member of {where}.", "domain" if domain else "workgroup")
            raise ServerError(f"{node.name} joins {target or 'the workgroup'} when it restarts: restart it "
                              f"({servers_path(node, 'Restart Server')}).", "domain" if domain else "workgroup")
        pending = dict(node.pending_changes or {})
        if current.lower() == target.lower():
            pending.pop("domain", None)  # back to what it is: nothing waits for a restart
        else:
            pending["domain"] = target
        Node.objects.filter(pk=node.pk).update(pending_changes=pending)
        mark_nodes(node.lab_id, node)
    return target


# -- Server Manager: Add Roles and Features ------------------------------------------------------------------

def install_features(user, node, names):
    """Install roles and features; returns (installed now, waiting for a restart) as labels."""
    names = list(dict.fromkeys(names))
    if not names:
        raise ServerError("Select at least one role or feature to install.", "features")
    chosen = [model.feature(n) for n in names]
    if None in chosen:
        raise ServerError("Choose roles and features from the list.", "features")
    with transaction.atomic():
        node = locked_node(node)
        require_on(node, "roles and features can be installed")
        pending = dict(node.pending_changes or {})
        waiting = set(pending.get("features", ()))
        for f in chosen:
            if getattr(node, FEATURE_FIELDS[f.name]):
                raise ServerError(f"{f.label} is already installed on {node.name}.", "features")
            if f.name in waiting:
                raise ServerError(f"{f.label} is installed on {node.name} and waits for a restart to finish: "
                                  f"restart it ({servers_path(node, 'Restart Server')}).", "features")
            if f.name == "Failover-Clustering" and node.version.order <= 2 and node.edition == Node.Edition.STANDARD:
                raise ServerError(f"Failover Clustering is not available in {node.version.label} Standard: it "
                                  "needs the Enterprise or Datacenter edition.", "features")
        now = [f for f in chosen if not f.restart]
        later = [f for f in chosen if f.restart]
        if later:
            pending["features"] = sorted(waiting | {f.name for f in later})
        Node.objects.filter(pk=node.pk).update(pending_changes=pending,
                                               **{FEATURE_FIELDS[f.name]: True for f in now})
        mark_nodes(node.lab_id, node)
    return [f.label for f in now], [f.label for f in later]


# -- Internet Protocol Version 4 (TCP/IPv4) Properties ------------------------------------------------

def _holders(lab, adapter):
    """{address: who holds it} on the lab's networks other than `adapter` itself."""
    taken = {a.ip_address: f"{a.node.name} - {a.name}" for a in NetworkAdapter.objects.filter(
        node__lab=lab).exclude(pk=adapter.pk).exclude(ip_address="").select_related("node")}
    for ca in ClusterAddress.objects.filter(cluster__lab=lab).select_related("cluster"):
        taken[ca.ip_address] = f"the cluster {ca.cluster.name}"
    for net in Network.objects.filter(lab=lab).exclude(gateway=""):
        taken[net.gateway] = f"the default gateway of {net.name}"
    return taken


def set_ipv4(user, adapter, *, automatic, ip="", mask="", gateway=""):
    """An adapter's TCP/IPv4 settings: obtain an address automatically, or use the address, subnet mask
    and default gateway given. The network is the lab's network the address is on."""
    ip, mask, gateway = (ip or "").strip(), (mask or "").strip(), (gateway or "").strip()
    with transaction.atomic():
        adapter = NetworkAdapter.objects.select_related("node").get(pk=adapter.pk)
        lab = Lab.objects.select_for_update().get(pk=adapter.node.lab_id)  # one address change at a time
        node = locked_node(adapter.node)
        require_on(node, "its adapters can be configured")
        if node.cluster_id and node.state != Node.State.DOWN and adapter.ip_address:
            raise ServerError(f"{node.name} - {adapter.name} carries the traffic of the cluster {node.cluster.name}: "
                              f"stop the Cluster service on {node.name} before changing its address ("
                              f"{node_path(node, 'More Actions', 'Stop Cluster Service')}).", "ip")
        if automatic:
            fields = {"dhcp": True, "ip_address": "", "network": None, "gateway": ""}
        else:
            if not ip:
                raise ServerError("Type the IP address.", "ip")
            if not mask:
                raise ServerError("Type the subnet mask.", "mask")
            nets = list(Network.objects.filter(lab=lab))
            problem = model.ipv4_problem(ip, mask, gateway, [n.subnet for n in nets], _holders(lab, adapter))
            if problem:
                raise ServerError(problem.message, problem.field)
            address = ipaddress.IPv4Address(ip)
            network = next(n for n in nets if address in n.ip_network)
            fields = {"dhcp": False, "ip_address": str(address), "prefix_length": network.ip_network.prefixlen,
                      "gateway": gateway, "network": network}
        NetworkAdapter.objects.filter(pk=adapter.pk).update(**fields)
        mark_nodes(lab.pk, node)
        if node.cluster_id:
            now = lab.sim_now()
            refresh_network_states(node.cluster, now, node)
            reconcile(node.cluster, now, user)


# -- iSCSI Initiator ------------------------------------------------------------------------------------

def _iscsi_lun(node, disk):
    disk = Disk.objects.filter(pk=disk.pk, lab_id=node.lab_id).first()
    if disk is None or disk.bus_type != Disk.BusType.ISCSI:
        raise ServerError("Select a target from the list of discovered targets.", "target")
    return disk


def connect_target(user, node, disk):
    """Targets > Connect: log on to the LUN's target; the server sees it as its next disk."""
    with transaction.atomic():
        node = locked_node(node)
        require_on(node, "it can log on to iSCSI targets")
        disk = _iscsi_lun(node, disk)
        iqn = model.target_iqn(disk.name)
        if DiskPath.objects.filter(node=node, disk=disk).exists():
            raise ServerError(f"{node.name} is already connected to {iqn}.", "target")
        portal = model.portal_address(disk.target)
        if portal is not None:
            net = next((n for n in Network.objects.filter(lab_id=node.lab_id)
                        if ipaddress.IPv4Address(portal) in n.ip_network), None)
            reach = net is not None and NetworkAdapter.objects.filter(
                node=node, network=net, connected=True).exclude(ip_address="").exists()
            if not reach:
                subnet = net.subnet if net is not None else "its subnet"
                raise ServerError(f"Log on to {iqn} failed: {node.name} has no connected network adapter with an "
                                  f"address on {subnet}, where the portal {disk.target} is. Configure one first: "
                                  f"{servers_path(node, 'Network Adapters')}.", "target")
        used = set(DiskPath.objects.filter(node=node).values_list("disk_number", flat=True))
        number = next(n for n in range(1, len(used) + 2) if n not in used)  # disk 0 is the boot disk
        DiskPath.objects.create(disk=disk, node=node, disk_number=number, online=True)
        mark_nodes(node.lab_id, node)
        if node.cluster_id:
            reconcile_storage(node.cluster, node.lab.sim_now(), user)
    return number


def disconnect_target(user, node, disk):
    """Targets > Disconnect: log off the LUN's target; the server no longer sees the disk."""
    with transaction.atomic():
        node = locked_node(node)
        require_on(node, "it can log off iSCSI targets")
        disk = _iscsi_lun(node, disk)
        iqn = model.target_iqn(disk.name)
        path = DiskPath.objects.filter(node=node, disk=disk).first()
        if path is None:
            raise ServerError(f"{node.name} is not connected to {iqn}.", "target")
        cd = ClusterDisk.objects.filter(disk=disk, cluster_id=node.cluster_id).first() if node.cluster_id else None
        if cd is not None:
            raise ServerError(f"{disk.name} is {cd.name} of the cluster {node.cluster.name} ({cd.assigned_to}): "
                              f"remove it from the cluster's storage before disconnecting {node.name} from it.",
                              "target")
        users = sorted(set(VirtualMachine.objects.filter(host_node=node, configuration_disk=disk)
                           .values_list("name", flat=True)) |
                       set(VirtualHardDisk.objects.filter(virtual_machine__host_node=node, disk=disk)
                           .values_list("virtual_machine__name", flat=True)))
        if users:
            raise ServerError(f"{', '.join(users)} on {node.name} keep files on {disk.name}: move their storage "
                              "before disconnecting the target.", "target")
        path.delete()
        mark_nodes(node.lab_id, node)
        if node.cluster_id:
            reconcile_storage(node.cluster, node.lab.sim_now(), user)


# -- Windows Update -------------------------------------------------------------------------------------

def _available_updates(node, sim_now):
    """(latest level released, months of updates the server lacks counting what waits for a restart)."""
    latest = model.latest_update_level(sim_now.date())
    level = (node.pending_changes or {}).get("updates") or node.update_level
    return latest, model.months_behind(level, latest)


def install_updates(user, node):
    """Windows Update > Install updates: every update released so far; they finish at the next restart.
    Returns the level the server reaches."""
    with transaction.atomic():
        node = locked_node(node)
        require_on(node, "it can install updates")
        latest, behind = _available_updates(node, node.lab.sim_now())
        pending = dict(node.pending_changes or {})
        if not behind:
            if pending.get("updates"):
                raise ServerError(f"The updates through {pending['updates']} are installed on {node.name} and "
                                  f"wait for a restart to finish: restart it ({servers_path(node, 'Restart Server')}).")
            raise ServerError(f"{node.name} is up to date: its updates are installed through "
                              f"{node.update_level or latest}, the latest released.")
        pending["updates"] = latest
        Node.objects.filter(pk=node.pk).update(pending_changes=pending)
        mark_nodes(node.lab_id, node)
    return latest


# -- Restart Server -------------------------------------------------------------------------------------

def restart_server(user, node):
    """Restart Server: Windows shuts down, configures what waited for the restart, boots; a cluster node
    (its Cluster service stopped first) then joins its cluster again."""
    with transaction.atomic():
        node = locked_node(node)
        if node.power_state == Node.PowerState.RESTARTING or active_node_operations(node).exists():
            raise ServerError(f"{node.name} is already restarting (or failing); wait for it to finish.")
        if node.power_state != Node.PowerState.ON:
            raise ServerError(f"{node.name} is turned off: power it on instead "
                              f"({servers_path(node, 'Simulate', 'Power On')}).")
        if node.cluster_id and node.state != Node.State.DOWN:
            raise ServerError(f"{node.name} is a running node of the cluster {node.cluster.name}: stop its Cluster "
                              "service first, which moves its roles to the other nodes "
                              f"({node_path(node, 'More Actions', 'Stop Cluster Service')}).")
        running = list(VirtualMachine.objects.filter(host_node=node, state__in=VirtualMachine.RUNNING_STATES)
                       .order_by("name").values_list("name", flat=True))
        running += [n for n in Operation.objects.filter(virtual_machine__host_node=node, state__in=Operation.ACTIVE)
                    .values_list("virtual_machine__name", flat=True) if n not in running]
        if running:
            raise ServerError(f"Shut down or save the virtual machines running on {node.name} first "
                              f"({', '.join(running)}): {servers_path(node, 'Virtual Machines')}.")
        phases = restart_phases(node)
        op = node_operation(user, node, Operation.Kind.NODE_RESTART, phases, extra={"restart": True})
    return op
