"""The menus: the Actions pane and the right-click menu, which shows the same list.

Only actions whose capability exists are listed: the product's other
actions appear here as the issues that build them land. An action is
either a navigation (`url`, swapped into the console with htmx), a report
opened in a new window (`new_window`), or a dialog already in the page
(`dialog`, the element id to open).
"""
import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.urls import reverse

from fcm.engine.effects.nodes import active_node_operations
from fcm.engine.effects.power import RECEIVING
from fcm.engine.facts import MEMBERS
from fcm.inventory.models import Cluster, Node, VirtualMachine
from fcm.sim import checkpoints as checkpoint_rules
from fcm.sim import hyperv_settings

from .selectors import replication_of, replication_of_vm


@dataclass(frozen=True)
class Action:
    label: str
    icon: str
    url: str = ""
    dialog: str = ""
    new_window: bool = False
    #: Fetch a dialog from `url` into the page (Select Node..., confirmations).
    fetch_dialog: bool = False
    #: POST to `url` (with the CSRF header) and show the answer in the details.
    post: bool = False
    #: Submenu path shown before the label, e.g. "Move > Live Migration".
    menu: str = ""
    #: The Windows PowerShell equivalent, shown as the action's tooltip.
    command: str = ""
    #: Where a POST's answer goes: the details pane, or (pages without one) the dialog host.
    target: str = "#selection"
    #: What `command` is typed into (2008 has no FailoverClusters module: cluster.exe).
    shell: str = "PowerShell"

    @property
    def is_fault(self):
        """Simulate ...: causing failures is for the lab's owner."""
        return self.menu.startswith("Simulate")


@dataclass
class ActionGroup:
    title: str
    actions: list = field(default_factory=list)
    #: The group for the selected row: the right-click menu copies it.
    selected: bool = False
    #: Stable element id, so pushes can refresh the group as the object changes.
    key: str = ""

    def __post_init__(self):
        # The simulator's controls stand apart from the product's actions: last, under their own
        # heading (the template and the context menu draw it), so nobody crashes a guest reaching for Save.
        self.actions = sorted(self.actions, key=lambda a: a.is_fault)


#: PowerShell lines and the cluster.exe command a 2008 console's admin types instead (no FailoverClusters
#: module before 2008 R2, no Hyper-V module before 2012). A line without an equivalent shows none.
_CLUSTER_EXE = [
    (r"Suspend-ClusterNode -Name (\S+)$", r"cluster node \1 /pause"),
    (r"Resume-ClusterNode -Name (\S+)$", r"cluster node \1 /resume"),
    (r"Stop-ClusterNode -Name (\S+)$", r"cluster node \1 /stop"),
    (r"Start-ClusterNode -Name (\S+)$", r"cluster node \1 /start"),
    (r"Start-ClusterNode -FixQuorum$", r"net start clussvc /forcequorum"),
    (r"Start-ClusterGroup -Name (.+)$", r'cluster group "\1" /online'),
    (r"Stop-ClusterGroup -Name (.+)$", r'cluster group "\1" /offline'),
    (r"Move-ClusterGroup -Name (.+) -Node (\S+)$", r'cluster group "\1" /moveto:\2'),
    (r"Set-ClusterOwnerNode -Group (.+)$", r'cluster group "\1" /setowners:<node>,<node>'),
    (r"Remove-ClusterGroup -Name (.+) -RemoveResources$", r'cluster group "\1" /delete'),
    (r"Test-ClusterResourceFailure -Name '(.+)'$", r'cluster resource "\1" /fail'),
    (r"\(Get-Cluster\)\.(\w+) = <n>$", r"cluster /prop \1=<n>"),
    (r'Start-ClusterResource -Name "(.+)"$', r'cluster resource "\1" /online'),
    (r'Stop-ClusterResource -Name "(.+)"$', r'cluster resource "\1" /offline'),
]


def cluster_exe(command):
    """The cluster.exe line for a PowerShell line, or '' when 2008 has none."""
    if command.startswith("cluster ") or command.startswith("net "):
        return command
    for pattern, line in _CLUSTER_EXE:
        if re.fullmatch(pattern, command):
            return re.sub(pattern, line, command)
    return ""


def in_version(groups, version):
    """The groups as the version's console shows their commands: cluster.exe on 2008."""
    if version.cluster_powershell:
        return groups
    for group in groups:
        group.actions = [replace(a, command=cluster_exe(a.command), shell="cluster.exe") if a.command else a
                         for a in group.actions]
    return groups


def _cluster_url(name, cluster, *args):
    return reverse(f"console:{name}", args=[cluster.lab_id, cluster.pk, *args])


def refresh(url):
    return Action("Refresh", "refresh", url=url)


def critical_events(cluster, **criteria):
    """'Show Critical Events': the Cluster Events list filtered to Critical and Error."""
    query = urlencode({**criteria, "level": ["1", "2"]}, doseq=True)
    return Action("Show Critical Events", "events", url=f"{_cluster_url('events', cluster)}?{query}")


def _wizard(lab, kind, cluster=None):
    url = reverse("wizards:start", args=[lab.pk, kind])
    return f"{url}?cluster={cluster.pk}" if cluster else url


def for_root(lab, here, version_order=3):
    validate = "Validate Configuration..." if version_order >= 3 else "Validate a Configuration..."
    return [ActionGroup("Failover Cluster Management" if version_order == 1 else "Failover Cluster Manager", [
        Action(validate, "report", url=_wizard(lab, "validate"), fetch_dialog=True),
        Action("Create Cluster..." if version_order >= 3 else "Create a Cluster...", "cluster",
               url=_wizard(lab, "create-cluster"), fetch_dialog=True),
        Action("View Validation Reports", "report", url=reverse("wizards:reports", args=[lab.pk]), new_window=True),
        Action("Servers", "server", url=reverse("console:servers", args=[lab.pk])),
        refresh(here),
    ])]


def for_servers(lab, here, node=None, vm=None, adapter=None, vm_op=None, share=None):
    """Servers: the selected server's administration (Server Manager, System Properties, iSCSI Initiator,
    Windows Update), and with a virtual machine, an adapter or a share selected, its own group as well."""
    groups = [ActionGroup("Servers", [refresh(here)])]
    if node is not None:
        groups.append(server_group(lab, node, selected=vm is None and adapter is None and share is None))
        if vm is not None:
            groups.append(vm_group(lab, vm, vm_op))
        elif adapter is not None:
            groups.append(adapter_group(lab, node, adapter))
        elif share is not None:
            groups.append(share_group(lab, node, share))
    return groups


def wan_actions(cluster, links):
    """Simulate ▸ Disconnect / Reconnect the WAN link(s) between this cluster's site and others."""
    items = []
    for link in links:
        url = _cluster_url("wan-link", cluster, link.pk)
        if link.up:
            items.append(Action(f"Disconnect WAN link '{link.name}'", "failed", url=url + "?action=disconnect",
                                post=True, menu="Simulate", target="#dialog-host"))
        else:
            items.append(Action(f"Reconnect WAN link '{link.name}'", "up", url=url + "?action=connect",
                                post=True, menu="Simulate", target="#dialog-host"))
    return items


def for_cluster(cluster, here, last_report=None, wan_links=()):
    lab = cluster.lab
    validate = "Validate Cluster..." if cluster.version.order >= 3 else "Validate This Cluster..."
    items = [configure_role(cluster),
             Action(validate, "report", url=_wizard(lab, "validate", cluster), fetch_dialog=True)]
    if last_report is not None:
        items.append(Action("View Validation Report", "report",
                            url=reverse("wizards:report", args=[lab.pk, last_report.pk]), new_window=True))
    items.append(Action("Add Node...", "node", url=_wizard(lab, "add-node", cluster), fetch_dialog=True))
    items.append(Action("Configure Cluster Quorum Settings...", "cluster", url=_wizard(lab, "quorum", cluster),
                        fetch_dialog=True, menu="More Actions"))
    items.append(Action("Destroy Cluster...", "failed", url=_cluster_url("destroy", cluster), fetch_dialog=True,
                        menu="More Actions"))
    if cluster.state != Cluster.State.RUNNING:
        items.append(Action("Force Cluster Start", "up", url=_cluster_url("cluster-action", cluster) +
                            "?action=force-start", post=True, menu="More Actions",
                            command="Start-ClusterNode -FixQuorum", target="#dialog-host"))
    if cluster.version.csv_needs_enabling and not cluster.csv_enabled:
        items.append(Action("Enable Cluster Shared Volumes...", "csv", url=_cluster_url("enable-csv", cluster),
                            fetch_dialog=True))
    items += wan_actions(cluster, wan_links)
    items += [Action("Show Critical Events", "events", url=critical_events(cluster).url),
              Action("Properties", "report", url=_cluster_url("cluster-properties", cluster), fetch_dialog=True,
                     command="(Get-Cluster).SameSubnetThreshold = <n>"),
              refresh(here)]
    return [ActionGroup(cluster.fqdn, items)]


def move_actions(cluster, role, operation=None):
    """Move ▸ ... for a virtual machine role, in the wording of the lab's version."""
    if role.type != role.Type.VIRTUAL_MACHINE or getattr(role, "virtual_machine", None) is None:
        return []
    version = cluster.version
    url = lambda name, *a: _cluster_url(name, cluster, role.pk, *a)  # noqa: E731
    items = []
    if operation is not None and operation.is_active:
        if operation.kind == "live-migration":
            items.append(Action("Cancel Live Migration", "failed", url=url("role-cancel-move"), post=True))
        return items
    if version.order < 3:
        return numbered_moves(cluster, role, url)
    live, quick = "Move › Live Migration", "Move › Quick Migration"
    if version.live_migration:
        cmd = f"Move-ClusterVirtualMachineRole -Name {role.name} -MigrationType Live"
        items += [Action("Best Possible Node", "vm", url=url("role-move", "live") + "?best=1", fetch_dialog=True,
                         menu=live, command=cmd),
                  Action("Select Node...", "node", url=url("role-move", "live"), fetch_dialog=True, menu=live,
                         command=cmd + " -Node <node>")]
    items += [Action("Best Possible Node", "vm", url=url("role-move", "quick") + "?best=1", fetch_dialog=True,
                     menu=quick),
              Action("Select Node...", "node", url=url("role-move", "quick"), fetch_dialog=True, menu=quick)]
    if version.order >= 3:
        items.append(Action("Virtual Machine Storage", "storage", url=url("role-move-storage"),
                            fetch_dialog=True, menu="Move"))
    return items


def numbered_moves(cluster, role, url):
    """2008 and 2008 R2: a flyout of the other nodes, numbered; choosing one starts the move at once."""
    others = [n for n in cluster.nodes.all() if n.pk != role.owner_node_id]
    items = []
    if cluster.version.live_migration:
        items += [Action(f"{i} - Live migrate to node {n.name}", "vm", url=url("role-move", "live") + f"?node={n.pk}",
                         post=True, menu="Live migrate virtual machine to another node",
                         command=f"Move-ClusterVirtualMachineRole -Name {role.name} -Node {n.name}")
                  for i, n in enumerate(others, start=1)]
    items += [Action(f"{i} - Move to node {n.name}", "vm", url=url("role-move", "quick") + f"?node={n.pk}",
                     post=True, menu="Move virtual machine(s) to another node",
                     command=f"Move-ClusterGroup -Name {role.name} -Node {n.name}")
              for i, n in enumerate(others, start=1)]
    return items


def configure_role(cluster):
    label = "Configure Role..." if cluster.version.order >= 3 else "Configure a Service or Application..."
    return Action(label, "roles", url=_wizard(cluster.lab, "configure-role", cluster), fetch_dialog=True,
                  command=f"Add-ClusterVirtualMachineRole -Cluster {cluster.name} -VMName <name>")


def for_roles(cluster, here, role=None, operation=None):
    new_vm = Action("New Virtual Machine...", "vm", url=_wizard(cluster.lab, "new-vm", cluster), fetch_dialog=True,
                    menu="Virtual Machines", command="New-VM -Name <name> -ComputerName <node>")
    groups = [ActionGroup(cluster.roles_label, [configure_role(cluster), new_vm, refresh(here)])]
    if role is not None:
        groups.append(role_group(cluster, role, operation))
    return groups


def power_actions(cluster, role, operation=None):
    """Start / Save / Shut Down / Turn Off and Start/Stop Role, as the VM's state allows."""
    vm = getattr(role, "virtual_machine", None)
    if vm is None or (operation is not None and operation.is_active):
        return []
    url = lambda action: _cluster_url("role-power", cluster, role.pk) + f"?action={action}"  # noqa: E731
    modern = cluster.version.order >= 3
    start_role = "Start Role" if modern else "Bring this service or application online"
    stop_role = "Stop Role" if modern else "Take this service or application offline"
    more = "More Actions" if modern else ""
    items = []
    if vm.state in (VirtualMachine.State.OFF, VirtualMachine.State.SAVED):
        items += [Action("Start", "up", url=url("start"), post=True, command=f"Start-ClusterGroup -Name {role.name}"),
                  Action(start_role, "up", url=url("start"), post=True, menu=more,
                         command=f"Start-ClusterGroup -Name {role.name}")]
    if vm.state == VirtualMachine.State.RUNNING:
        items += [Action("Guest OS crash", "failed", url=url("crash"), post=True, menu="Simulate",
                         command=f"Test-ClusterResourceFailure -Name 'Virtual Machine {vm.name}'"),
                  Action("Save", "paused", url=url("save"), post=True, command=f"Save-VM -Name {vm.name}"),
                  Action("Shut Down", "down", url=url("shutdown"), post=True, command=f"Stop-VM -Name {vm.name}"),
                  Action("Turn Off", "off", url=url("turnoff"), post=True,
                         command=f"Stop-VM -Name {vm.name} -TurnOff"),
                  Action(stop_role, "down", url=url("save"), post=True, menu=more,
                         command=f"Stop-ClusterGroup -Name {role.name}")]
    return items


def replication_actions(cluster, role, operation=None):
    """Replication ▸ ... on a VM role, as the relationship and its side allow (fcm.md 12.6)."""
    if cluster.version.order < 3 or role.type != role.Type.VIRTUAL_MACHINE or \
            (operation is not None and operation.is_active):
        return []
    names = {"action": "role-replication", "health": "role-replication-health", "failover": "role-failover",
             "planned": "role-planned-failover"}
    rep, side = replication_of(role)
    return replication_items(
        role.name, rep, side, lambda what: _cluster_url(names[what], cluster, role.pk),
        _wizard(cluster.lab, "enable-replication", cluster) + f"&subject={role.pk}")


def vm_replication_actions(lab, vm, operation=None):
    """Replication ▸ ... on a VM in no cluster (Hyper-V Manager: Enable Replication..., and once replicated
    the same actions as a clustered role's), on a 2012 or later host."""
    host = vm.host_node
    if host.version.order < 3 or (operation is not None and operation.is_active):
        return []
    names = {"action": "server-vm-replication", "health": "server-vm-replication-health",
             "failover": "server-vm-failover", "planned": "server-vm-planned-failover"}
    rep, side = replication_of_vm(vm)
    return replication_items(vm.name, rep, side, lambda what: _server_url(names[what], lab, host, vm.pk),
                             f"{_wizard(lab, 'enable-replication')}?subject={vm.pk}")


def replication_items(name, rep, side, url, enable_url):
    """The Replication menu of a VM named `name`: `url(what)` is its action, health, failover or planned
    failover view; `enable_url` starts the Enable Replication wizard for it."""
    menu = "Replication"
    # The details come back on the Replication tab, where the change shows.
    act = lambda action: url("action") + f"?action={action}&tab=replication"  # noqa: E731
    if rep is None:
        return [Action("Enable Replication...", "replica", url=enable_url, fetch_dialog=True, menu=menu,
                       command=f"Enable-VMReplication -VMName {name} -ReplicaServerName <server> "
                               "-ReplicaServerPort 80 -AuthenticationType Kerberos")]
    S = rep.State
    items = [Action("View Replication Health...", "report", url=url("health"), fetch_dialog=True,
                    menu=menu, command=f"Measure-VMReplication -VMName {name}")]
    if side == "Primary":
        if rep.state in (S.REPLICATING,) and not rep.paused:
            items.append(Action("Planned Failover...", "replica", url=url("planned"), fetch_dialog=True,
                                menu=menu, command=f"Start-VMFailover -VMName {name} -Prepare"))
        if rep.state == S.RESYNC_REQUIRED:
            items.append(Action("Resume Replication", "up", url=act("resync"), post=True, menu=menu,
                                command=f"Resume-VMReplication -VMName {name} -Resynchronize"))
    else:
        if rep.state == S.WAITING and rep.initial_method == rep.InitialMethod.MEDIA:
            items.append(Action("Import Initial Replica...", "replica", url=act("import"), post=True, menu=menu,
                                command=f"Import-VMInitialReplication -VMName {name} -Path <path>"))
        if rep.state in (S.REPLICATING, S.SUSPENDED, S.RESYNC_REQUIRED, S.ERROR):
            if rep.test_vm_id:
                items.append(Action("Stop Test Failover", "down", url=act("stop-test"), post=True, menu=menu,
                                    command=f"Stop-VMFailover -VMName {name}"))
            else:
                items.append(Action("Test Failover...", "replica", url=url("failover") + "?test=1",
                                    fetch_dialog=True, menu=menu,
                                    command=f"Start-VMFailover -VMName {name} -AsTest"))
            items.append(Action("Failover...", "failed", url=url("failover"), fetch_dialog=True, menu=menu,
                                command=f"Start-VMFailover -VMName {name}"))
        if rep.state == S.FAILED_OVER_WAITING:
            items += [Action("Cancel Failover", "down", url=act("cancel-failover"), post=True, menu=menu,
                             command=f"Stop-VMFailover -VMName {name}"),
                      Action("Reverse Replication...", "replica", url=act("reverse"), post=True, menu=menu,
                             command=f"Set-VMReplication -VMName {name} -Reverse; Complete-VMFailover -VMName "
                                     f"{name}")]
    if rep.state in (S.REPLICATING, S.RESYNC_REQUIRED):
        items.append(Action("Pause Replication", "paused", url=act("pause"), post=True, menu=menu,
                            command=f"Suspend-VMReplication -VMName {name}"))
    if rep.state == S.SUSPENDED:
        items.append(Action("Resume Replication", "up", url=act("resume"), post=True, menu=menu,
                            command=f"Resume-VMReplication -VMName {name}"))
    items.append(Action("Remove Replication", "failed", url=act("remove"), post=True, menu=menu,
                        command=f"Remove-VMReplication -VMName {name}"))
    return items


def broker_actions(cluster, role):
    if role.type != role.Type.REPLICA_BROKER:
        return []
    return [Action("Replication Settings", "replica", url=_cluster_url("broker-settings", cluster, role.pk),
                   fetch_dialog=True, command="Set-VMReplicationServer -ReplicationEnabled $true")]


def role_group(cluster, role, operation=None):
    admin = []
    if operation is None or not operation.is_active:
        admin = [
            Action("Properties", "report", url=_cluster_url("role-properties", cluster, role.pk), fetch_dialog=True,
                   command=f"Set-ClusterOwnerNode -Group {role.name}"),
            Action("Remove", "failed", url=_cluster_url("role-remove", cluster, role.pk), fetch_dialog=True,
                   command=f"Remove-ClusterGroup -Name {role.name} -RemoveResources"),
        ]
    return ActionGroup(role.name, power_actions(cluster, role, operation) + move_actions(cluster, role, operation)
                       + replication_actions(cluster, role, operation) + broker_actions(cluster, role) + [
        critical_events(cluster, role=role.pk),
        Action("Show Dependency Report", "report",
               url=_cluster_url("role-dependency-report", cluster, role.pk), new_window=True, menu="More Actions"),
    ] + admin, selected=True, key=f"role-{role.pk}")


def for_nodes(cluster, here, node=None):
    groups = [ActionGroup("Nodes", [refresh(here)])]
    if node is not None:
        groups.append(node_group(cluster, node))
    return groups


def node_group(cluster, node):
    """A selected node's actions; its key lets a push redraw them as the node's state changes."""
    return ActionGroup(node.name, node_actions(cluster, node) + [
        critical_events(cluster, node=node.pk),
        Action("Evict", "failed", url=_cluster_url("node-evict", cluster, node.pk), fetch_dialog=True,
               menu="More Actions"),
    ], selected=True, key=f"node-{node.pk}")


def node_actions(cluster, node):
    """Pause / Resume as the version words them, and Simulate power failures."""
    url = lambda action: _cluster_url("node-action", cluster, node.pk) + f"?action={action}"  # noqa: E731
    modern = cluster.version.order >= 3
    items = []
    if node.state == Node.State.UP:
        if modern:
            items += [Action("Drain Roles", "paused", url=url("drain"), post=True, menu="Pause",
                             command=f"Suspend-ClusterNode -Name {node.name} -Drain"),
                      Action("Do Not Drain Roles", "paused", url=url("pause"), post=True, menu="Pause",
                             command=f"Suspend-ClusterNode -Name {node.name}")]
        else:
            items.append(Action("Pause", "paused", url=url("pause"), post=True,
                                command=f"Suspend-ClusterNode -Name {node.name}"))
    if node.state == Node.State.PAUSED:
        if modern:
            items += [Action("Fail Roles Back", "up", url=url("failback"), post=True, menu="Resume",
                             command=f"Resume-ClusterNode -Name {node.name} -Failback Immediate"),
                      Action("Do Not Fail Roles Back", "up", url=url("resume"), post=True, menu="Resume",
                             command=f"Resume-ClusterNode -Name {node.name}")]
        else:
            items.append(Action("Resume", "up", url=url("resume"), post=True,
                                command=f"Resume-ClusterNode -Name {node.name}"))
    if node.power_state == Node.PowerState.ON and node.state in MEMBERS:
        items.append(Action("Stop Cluster Service", "down", url=url("stop-service"), post=True, menu="More Actions",
                            command=f"Stop-ClusterNode -Name {node.name}"))
    if node.power_state == Node.PowerState.ON and node.state == Node.State.DOWN:
        items.append(Action("Start Cluster Service", "up", url=url("start-service"), post=True, menu="More Actions",
                            command=f"Start-ClusterNode -Name {node.name}"))
    if node.power_state == Node.PowerState.ON and node.state == Node.State.QUARANTINED:
        items.append(Action("Start Cluster Service", "up", url=url("start-service"), post=True, menu="More Actions",
                            command=f"Start-ClusterNode -Name {node.name} -ClearQuarantine"))
    if node.power_state == Node.PowerState.ON:
        items.append(Action("Power Off (crash)", "failed", url=url("power-off"), post=True, menu="Simulate"))
    elif not active_node_operations(node).exists():
        # Offered once the cluster has declared the node down (the engine refuses before).
        items.append(Action("Power On", "up", url=url("power-on"), post=True, menu="Simulate"))
    paths = node.disk_paths.all()
    if paths:
        if any(p.online for p in paths):
            items.append(Action("Disconnect Storage", "disk", url=url("storage-off"), post=True, menu="Simulate"))
        if any(not p.online for p in paths):
            items.append(Action("Reconnect Storage", "disk", url=url("storage-on"), post=True, menu="Simulate"))
    return items


def for_disks(cluster, here, title, disk=None, csv_folder=False, available_storage=False):
    """`available_storage`: Available Storage holds disks (Move Available Storage has something to move)."""
    items = []
    if csv_folder:
        items.append(Action("Add storage", "csv", url=_cluster_url("csv-add-storage", cluster), fetch_dialog=True))
    else:
        items += storage_actions(cluster, available_storage)
    groups = [ActionGroup(title, items + [refresh(here)])]
    if disk is not None:
        disk_items = disk_state_actions(cluster, disk)
        if cluster.csv_enabled and disk.assignment == disk.Assignment.AVAILABLE and cluster.version.order >= 3:
            disk_items.append(Action("Add to Cluster Shared Volumes", "csv",
                                     url=_cluster_url("disk-csv-add", cluster, disk.pk), post=True))
        if disk.assignment == disk.Assignment.CSV:
            disk_items.append(Action("Remove from Cluster Shared Volumes", "disk",
                                     url=_cluster_url("disk-csv-remove", cluster, disk.pk), fetch_dialog=True))
        disk_items += csv_move_actions(cluster, disk) + drive_letter_actions(cluster, disk)
        fault = _cluster_url("disk-fault", cluster, disk.pk)
        if disk.disk.online:
            disk_items.append(Action("Fail Disk", "failed", url=fault + "?action=fail", post=True, menu="Simulate"))
        else:
            disk_items.append(Action("Repair Disk", "up", url=fault + "?action=repair", post=True, menu="Simulate"))
        groups.append(ActionGroup(disk.name, disk_items + [critical_events(cluster, q=disk.name)], selected=True))
    return groups


def for_networks(cluster, here, network=None, links=frozenset()):
    """`links`: the connected flags of the network's adapters (Simulate offers what changes something)."""
    settings = Action("Live Migration Settings...", "network", url=_cluster_url("live-migration-settings", cluster),
                      fetch_dialog=True, command="Set-VMHost -MaximumVirtualMachineMigrations <n>")
    groups = [ActionGroup("Networks", ([settings] if cluster.version.live_migration else []) + [refresh(here)])]
    if network is not None:
        fault = _cluster_url("network-fault", cluster, network.pk)
        items = []
        if True in links:
            items.append(Action("Disconnect Network", "failed", url=fault + "?action=disconnect", post=True,
                                menu="Simulate"))
        if False in links:
            items.append(Action("Reconnect Network", "up", url=fault + "?action=connect", post=True,
                                menu="Simulate"))
        groups.append(ActionGroup(network.name, items + [critical_events(cluster, q=network.name),
                                                         network_properties(cluster, network)], selected=True))
    return groups


def for_events(cluster, here, event=None):
    groups = [ActionGroup("Cluster Events", [
        Action("Query...", "filter", dialog="event-query"),
        Action("Clear Query", "clear", url=_cluster_url("events", cluster)),
        Action("Incident Timeline", "report", url=_cluster_url("incidents", cluster), new_window=True),
        refresh(here),
    ])]
    if event is not None:
        groups.append(ActionGroup(f"Event {event.event_id}", [
            Action("Event Properties", "events",
                   url=_cluster_url("event", cluster, event.pk) + "?tab=details"),
        ], selected=True))
    return groups


def for_many_roles(cluster, here, roles):
    """Several roles selected (Ctrl+click): the moves they can make together."""
    ids = ",".join(str(r.pk) for r in roles)
    url = lambda kind: f"{_cluster_url('roles-move', cluster, kind)}?ids={ids}"  # noqa: E731
    version = cluster.version
    items = []
    if all(r.type == r.Type.VIRTUAL_MACHINE for r in roles):
        live = "Move \u203a Live Migration" if version.order >= 3 else "Live migrate virtual machines to another node"
        quick = "Move \u203a Quick Migration" if version.order >= 3 else "Move virtual machine(s) to another node"
        if version.live_migration:
            items.append(Action("Best Possible Node / Select Node...", "vm", url=url("live"),
                                fetch_dialog=True, menu=live))
        items.append(Action("Best Possible Node / Select Node...", "vm", url=url("quick"),
                            fetch_dialog=True, menu=quick))
    return [ActionGroup(cluster.roles_label, [refresh(here)]),
            ActionGroup(f"{len(roles)} items selected", items, selected=True, key="selection")]


# -- storage and networks: Add Disk, Move Available Storage, a disk's state, a CSV's Move, drive letters,
# -- a network's Properties ----------------------------------------------------------------------------

def storage_actions(cluster, available_storage):
    """Storage > Disks (2008 / 2008 R2: Storage): Add Disk and Move Available Storage, in the version's words."""
    modern = cluster.version.order >= 3
    items = [Action("Add Disk" if modern else "Add a disk", "disk", url=_cluster_url("disk-add", cluster),
                    fetch_dialog=True, command="Get-ClusterAvailableDisk | Add-ClusterDisk")]
    if available_storage:
        menu = "Move Available Storage" if modern else "Move available storage to another node"
        url = _cluster_url("available-storage-move", cluster)
        command = 'Move-ClusterGroup "Available Storage"'
        items += [Action("Best Possible Node", "node", url=url + "?best=1", fetch_dialog=True, menu=menu,
                         command=command),
                  Action("Select Node...", "node", url=url, fetch_dialog=True, menu=menu,
                         command=command + " -Node <node>")]
    return items


def disk_state_actions(cluster, disk):
    """Bring Online / Take Offline (2008 / 2008 R2: Bring this resource online / Take this resource offline)."""
    modern = cluster.version.order >= 3
    url = _cluster_url("disk-state", cluster, disk.pk)
    S = disk.State
    if disk.state in (S.OFFLINE, S.FAILED):
        return [Action("Bring Online" if modern else "Bring this resource online", "up", url=url + "?action=online",
                       post=True, command=f'Start-ClusterResource -Name "{disk.name}"')]
    if disk.state == S.ONLINE:
        return [Action("Take Offline" if modern else "Take this resource offline", "down",
                       url=url + "?action=offline", post=True, command=f'Stop-ClusterResource -Name "{disk.name}"')]
    return []


def csv_move_actions(cluster, disk):
    """A Cluster Shared Volume's Move > Best Possible Node / Select Node... (2008 R2: Move this shared volume to
    another node)."""
    if disk.assignment != disk.Assignment.CSV or disk.state not in (disk.State.ONLINE, disk.State.OFFLINE):
        return []
    menu = "Move" if cluster.version.order >= 3 else "Move this shared volume to another node"
    url = _cluster_url("csv-move", cluster, disk.pk)
    command = f'Move-ClusterSharedVolume -Name "{disk.name}"'
    return [Action("Best Possible Node", "node", url=url + "?best=1", fetch_dialog=True, menu=menu, command=command),
            Action("Select Node...", "node", url=url, fetch_dialog=True, menu=menu, command=command + " -Node <node>")]


def drive_letter_actions(cluster, disk):
    """More Actions > Change Drive Letter (fcm.md 1.4; 2008 / 2008 R2: Change drive letter). A CSV has none."""
    if disk.assignment == disk.Assignment.CSV:
        return []
    url = _cluster_url("disk-drive-letter", cluster, disk.pk)
    letter = disk.disk.drive_letter or "<X>"
    if cluster.version.order >= 3:  # the Storage module came with 2012
        return [Action("Change Drive Letter", "disk", url=url, fetch_dialog=True, menu="More Actions",
                       command=f"Get-Partition -DriveLetter {letter} | Set-Partition -NewDriveLetter <Y>")]
    return [Action("Change drive letter", "disk", url=url, fetch_dialog=True,
                   command=f"Get-WmiObject Win32_Volume -Filter \"DriveLetter='{letter}:'\" | "
                           "Set-WmiInstance -Arguments @{DriveLetter='<Y>:'}")]


def network_properties(cluster, network):
    """A network's Properties: its name and cluster use (Role 0, 1 or 3)."""
    return Action("Properties", "report", url=_cluster_url("network-properties", cluster, network.pk),
                  fetch_dialog=True, command=f'(Get-ClusterNetwork "{network.name}").Role = <0|1|3>')

# -- Servers: a server, its Hyper-V guests and its adapters ---------------------------------------------

def _server_url(name, lab, node, *args):
    return reverse(f"console:{name}", args=[lab.pk, node.pk, *args])


def server_group(lab, node, selected=True):
    """A server's own actions, in the wording of its version, as its power allows."""
    items = []
    order = node.version.order
    on = node.power_state == Node.PowerState.ON
    if node.cluster_id:
        items.append(Action("Open in its cluster", "node", url=_cluster_url("node", node.cluster, node.pk)))
    if on:
        domain = f"-DomainName {node.domain.name}" if node.domain_id else "-DomainName <domain>"
        items.append(Action("Join Domain...", "server", url=_server_url("server-domain", lab, node), fetch_dialog=True,
                            command=f"Add-Computer -ComputerName {node.name} {domain} -Restart" if order >= 3
                            else f"netdom join {node.name} /domain:<domain>"))
        features = _server_url("server-features", lab, node)
        if order >= 3:
            items.append(Action("Add Roles and Features", "roles", url=features, fetch_dialog=True,
                                command=f"Install-WindowsFeature -ComputerName {node.name} -Name "
                                        "Failover-Clustering,Hyper-V -IncludeManagementTools -Restart"))
        else:
            tool = "Add-WindowsFeature" if order == 2 else "ServerManagerCmd -install"
            items += [Action("Add Roles", "roles", url=features + "?kind=roles", fetch_dialog=True,
                             command=f"{tool} Hyper-V"),
                      Action("Add Features", "roles", url=features + "?kind=features", fetch_dialog=True,
                             command=f"{tool} Failover-Clustering")]
        items += [
            Action("iSCSI Initiator", "disk", url=_server_url("server-iscsi", lab, node), fetch_dialog=True,
                   command="Connect-IscsiTarget -NodeAddress <target>" if order >= 3
                   else "iscsicli QLoginTarget <target>"),
            Action("Install Updates", "refresh", url=_server_url("server-updates", lab, node), fetch_dialog=True),
            Action("Restart Server", "refresh", url=_server_url("server-restart", lab, node), fetch_dialog=True,
                   command=f"Restart-Computer -ComputerName {node.name}" if order >= 2
                   else f"shutdown /r /m \\\\{node.name}"),
        ]
        if node.hyperv_installed and order >= 3:
            option = node.live_migration_performance if order >= 4 else ""
            items.append(Action("Live Migrations...", "server",
                                url=_server_url("server-migrations", lab, node), fetch_dialog=True,
                                menu="Hyper-V Settings",
                                command=hyperv_settings.set_vmhost(
                                    node.name, simultaneous=node.max_vm_migrations,
                                    storage_simultaneous=node.max_storage_migrations,
                                    authentication=node.migration_authentication, performance=option,
                                    use_any=node.use_any_network_for_migration, version_order=order)))
        if not node.cluster_id and node.hyperv_installed and order >= 3:
            # A cluster's nodes are configured through its Replica Broker instead.
            items.append(Action("Replication Configuration...", "replica",
                                url=reverse("console:server-replication", args=[lab.pk, node.pk]),
                                fetch_dialog=True, menu="Hyper-V Settings",
                                command=f"Set-VMReplicationServer -ComputerName {node.name} "
                                        "-ReplicationEnabled $true"))
    if not node.cluster_id:  # a cluster node's power is simulated from its cluster's Nodes
        fault = _server_url("server-fault", lab, node)
        if on:
            items.append(Action("Power Off (crash)", "failed", url=fault + "?action=power-off", post=True,
                                menu="Simulate"))
        elif node.power_state == Node.PowerState.OFF:
            items.append(Action("Power On", "up", url=fault + "?action=power-on", post=True, menu="Simulate"))
    # Pushes refresh the group of a selected server; beside a selected VM or adapter it keeps its own id.
    return ActionGroup(node.name, items, selected=selected, key=f"server-{node.pk}" if selected
                       else f"server-{node.pk}-host")


def checkpoint_actions(lab, vm, host):
    """Checkpoint (Snapshot before 2012 R2) and Revert... of a VM, as its state allows."""
    term = checkpoint_rules.term(host.version.order)
    S = VirtualMachine.State
    cmd = host.version.order >= 3
    items = []
    if vm.state in (S.RUNNING, S.OFF, S.SAVED, S.PAUSED):
        items.append(Action(term, "checkpoint", url=_server_url("server-vm-checkpoint", lab, host, vm.pk), post=True,
                            command=f"Checkpoint-VM -Name {vm.name} -ComputerName {host.name}" if cmd else ""))
    if vm.current_checkpoint_id:
        url = _server_url("server-checkpoint-apply", lab, host, vm.pk, vm.current_checkpoint_id)
        items.append(Action("Revert...", "checkpoint", url=url + "?revert=1", fetch_dialog=True,
                            command=f"Restore-VMSnapshot -VMName {vm.name} -Name <name>" if cmd else ""))
    return items


def checkpoint_group(lab, vm, checkpoint):
    """A selected checkpoint: Apply..., Rename..., Delete Checkpoint..., Delete Checkpoint Subtree... (Snapshot
    before 2012 R2)."""
    host = vm.host_node
    term = checkpoint_rules.term(host.version.order)
    url = lambda name: _server_url(name, lab, host, vm.pk, checkpoint.pk)  # noqa: E731
    cmd = host.version.order >= 3
    quoted = checkpoint.name.replace("'", "''")
    verb = "VMCheckpoint" if host.version.order >= 4 else "VMSnapshot"
    items = [
        Action("Apply...", "checkpoint", url=url("server-checkpoint-apply"), fetch_dialog=True,
               command=f"Restore-{verb} -VMName {vm.name} -Name '{quoted}'" if cmd else ""),
        Action("Rename...", "checkpoint", url=url("server-checkpoint-rename"), fetch_dialog=True,
               command=f"Rename-{verb} -VMName {vm.name} -Name '{quoted}' -NewName <name>" if cmd else ""),
        Action(f"Delete {term}...", "failed", url=url("server-checkpoint-delete"), fetch_dialog=True,
               command=f"Remove-{verb} -VMName {vm.name} -Name '{quoted}'" if cmd else ""),
    ]
    if checkpoint.children.exists():
        items.append(Action(f"Delete {term} Subtree...", "failed", url=url("server-checkpoint-delete") + "?subtree=1",
                            fetch_dialog=True,
                            command=f"Remove-{verb} -VMName {vm.name} -Name '{quoted}' -IncludeAllChildSnapshots"
                            if cmd else ""))
    return ActionGroup(checkpoint.name, items, selected=True, key=f"checkpoint-{checkpoint.pk}")


def for_hyperv(lab, here, node=None, vm=None, vm_op=None, checkpoint=None):
    """Hyper-V Manager: Connect to Server... at its root; the connected server's Hyper-V Settings; the selected
    VM's actions; the selected checkpoint's."""
    connect = Action("Connect to Server...", "server", url=reverse("console:hyperv-connect", args=[lab.pk]),
                     fetch_dialog=True)
    if node is None:
        return [ActionGroup("Hyper-V Manager", [connect, refresh(here)])]
    items = []
    order = node.version.order
    on = node.power_state == Node.PowerState.ON
    if on and not node.cluster_id:  # a cluster's VMs are created from its Roles, to be highly available
        items.append(Action("Virtual Machine...", "vm", url=f"{_wizard(lab, 'new-vm')}?subject={node.pk}",
                            fetch_dialog=True, menu="New",
                            command=f"New-VM -Name <name> -ComputerName {node.name}" if order >= 3 else ""))
    if order >= 3 and on:
        items.append(Action("Hyper-V Settings...", "server", url=_server_url("server-migrations", lab, node),
                            fetch_dialog=True))
    if on:
        items.append(Action("Virtual Switch Manager..." if order >= 3 else "Virtual Network Manager...", "network",
                            url=_server_url("server-switches", lab, node), fetch_dialog=True,
                            command=f"Get-VMSwitch -ComputerName {node.name}" if order >= 3 else ""))
    items += [connect, Action("Remove Server", "clear", url=reverse("console:hyperv-remove", args=[lab.pk]),
                              post=True, target="#dialog-host"), refresh(here)]
    groups = [ActionGroup(node.name, items, selected=vm is None, key=f"hyperv-{node.pk}")]
    if vm is not None:
        groups.append(vm_group(lab, vm, vm_op))
        if checkpoint is not None:
            groups.append(checkpoint_group(lab, vm, checkpoint))
            groups[-2].selected = False
    return groups


def vm_group(lab, vm, operation=None):
    """Hyper-V Manager's actions on a virtual machine, as its state allows; a clustered one opens its role
    (and may be checkpointed: a checkpoint is the host's business, not the cluster's)."""
    idle = operation is None or not operation.is_active
    if vm.role_id:
        role = vm.role
        items = [Action("Open in its cluster", "roles", url=_cluster_url("role", role.cluster, role.pk))]
        if idle and vm.host_node.version.order >= 3:
            items += checkpoint_actions(lab, vm, vm.host_node)
        return ActionGroup(vm.name, items, selected=True, key=f"vm-{vm.pk}")
    host = vm.host_node
    items = [Action("Connect...", "vm", url=_server_url("server-vm-connect", lab, host, vm.pk), fetch_dialog=True)]
    if idle:
        url = _server_url("server-vm-power", lab, host, vm.pk) + "?action="
        cmd = (lambda verb, extra="": f"{verb} -Name {vm.name} -ComputerName {host.name}{extra}") \
            if host.version.order >= 3 else (lambda verb, extra="": "")
        S = VirtualMachine.State
        rep, side = replication_of_vm(vm) if host.version.order >= 3 else (None, "")
        receiving = side == "Replica" and rep.state in RECEIVING  # a replica starts only once failed over
        if vm.state in (S.OFF, S.SAVED) and not receiving:
            items.append(Action("Start", "up", url=url + "start", post=True, command=cmd("Start-VM")))
        if vm.state in (S.RUNNING, S.PAUSED):
            items.append(Action("Turn Off...", "off", url=url + "turnoff", fetch_dialog=True,
                                command=cmd("Stop-VM", " -TurnOff")))
        if vm.state == S.RUNNING:
            items.append(Action("Shut Down...", "down", url=url + "shutdown", fetch_dialog=True,
                                command=cmd("Stop-VM")))
        if vm.state in (S.RUNNING, S.PAUSED):
            items.append(Action("Save", "paused", url=url + "save", post=True, command=cmd("Save-VM")))
        if vm.state == S.RUNNING:
            items.append(Action("Pause", "paused", url=url + "pause", post=True, command=cmd("Suspend-VM")))
        if vm.state == S.PAUSED:
            items.append(Action("Resume", "up", url=url + "resume", post=True, command=cmd("Resume-VM")))
        if host.version.order >= 3 and vm.state in (S.RUNNING, S.OFF, S.SAVED):
            items.append(Action("Move...", "vm", url=f"{_wizard(lab, 'move-vm')}?subject={vm.pk}", fetch_dialog=True,
                                command=cmd("Move-VM", " -DestinationHost <server> -IncludeStorage "
                                                       "-DestinationStoragePath <folder>")))
        items += checkpoint_actions(lab, vm, host)
        items.append(Action("Settings...", "report", url=_server_url("server-vm-settings", lab, host, vm.pk),
                            fetch_dialog=True, command=f"Set-VMMemory -VMName {vm.name} -StartupBytes <n>MB; "
                                                       f"Set-VMProcessor -VMName {vm.name} -Count <n>; "
                                                       f"Connect-VMNetworkAdapter -VMName {vm.name} -SwitchName "
                                                       "<switch>" if host.version.order >= 3 else ""))
        if vm.state in (S.OFF, S.SAVED):
            items.append(Action("Delete...", "failed", url=_server_url("server-vm-delete", lab, host, vm.pk),
                                fetch_dialog=True, command=cmd("Remove-VM", " -Force")))
    items += vm_replication_actions(lab, vm, operation)
    return ActionGroup(vm.name, items, selected=True, key=f"vm-{vm.pk}")


def share_group(lab, node, share):
    """A file share of a server (Server Manager's Shares tile): its Properties, where the permissions are."""
    items = []
    if node.power_state == Node.PowerState.ON:
        command = (f"Grant-SmbShareAccess -CimSession {node.name} -Name {share.name} -AccountName <DOMAIN\\HOST$> "
                   f"-AccessRight Full -Force" if node.version.order >= 3 else "")
        items.append(Action("Properties", "report",
                            url=_server_url("server-share-properties", lab, node, share.pk), fetch_dialog=True,
                            command=command))
    return ActionGroup(f"{node.name} - {share.name}", items, selected=True, key=f"share-{share.pk}")


def adapter_group(lab, node, adapter):
    """A network adapter of a server: its TCP/IPv4 settings."""
    alias = f'"{adapter.name}"'
    command = (f"New-NetIPAddress -CimSession {node.name} -InterfaceAlias {alias} -IPAddress <address> "
               "-PrefixLength <n>" if node.version.order >= 3
               else f"netsh interface ipv4 set address name={alias} static <address> <mask>")
    items = []
    if node.power_state == Node.PowerState.ON:
        items.append(Action("TCP/IPv4 Properties...", "network",
                            url=_server_url("server-adapter-ipv4", lab, node, adapter.pk), fetch_dialog=True,
                            command=command))
    return ActionGroup(f"{node.name} - {adapter.name}", items, selected=True, key=f"adapter-{adapter.pk}")
