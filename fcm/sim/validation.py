"""Validate a Configuration: the product's test catalogue and its rules.

Each test is a pure function over plain facts about the servers (and the
cluster, when one exists) and returns Success, Warning, Failed or Not
Applicable with the lines and per-node tables the report prints. Names and
categories are the product's (fcm.md section 2.3); what each test decides
follows the product's documented outcomes: a single adapter is a single
point of failure (Warning); duplicate addresses fail; disks without SCSI-3
persistent reservations fail; nodes in different domains or on different
OS versions fail; an unsigned driver or mixed update levels only warn.
"""
import ipaddress
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable

SUCCESS, WARNING, FAILED, NA, CANCELED = "Success", "Warning", "Failed", "Not Applicable", "Canceled"
ORDER = {SUCCESS: 0, NA: 0, WARNING: 1, CANCELED: 1, FAILED: 2}


@dataclass(frozen=True)
class AdapterFacts:
    name: str
    ip: str = ""
    prefix: int = 24
    dhcp: bool = False
    connected: bool = True
    gateway: str = ""

    @property
    def subnet(self):
        if not self.ip:
            return ""
        return str(ipaddress.IPv4Interface(f"{self.ip}/{self.prefix}").network)


@dataclass(frozen=True)
class ServerFacts:
    name: str
    domain: str = ""
    os_version: str = "2012R2"
    os_label: str = ""
    edition: str = "Datacenter"
    install_option: str = "Full"
    service_pack: int = 0
    update_level: str = ""
    processor_vendor: str = "GenuineIntel"
    processor_model: str = ""
    memory_mb: int = 32768
    hyperv: bool = True
    failover_clustering: bool = True
    unsigned_drivers: bool = False
    adapters: tuple = ()
    switches: tuple = ()
    #: (LUN name, disk number, path online) for every LUN the server sees.
    disks: tuple = ()


@dataclass(frozen=True)
class DiskFacts:
    name: str
    size_bytes: int
    bus_type: str = "iSCSI"
    persistent_reservation: bool = True


@dataclass(frozen=True)
class VmFacts:
    name: str
    host: str
    switch: str = ""
    on_shared_storage: bool = True


@dataclass(frozen=True)
class ClusterFacts:
    name: str
    quorum_type: str
    recommended_quorum: str
    offline_resources: tuple = ()
    roles: tuple = ()
    networks: tuple = ()
    volumes: tuple = ()


@dataclass(frozen=True)
class Facts:
    version_order: int
    servers: tuple
    disks: tuple = ()
    vms: tuple = ()
    cluster: ClusterFacts = None

    @property
    def names(self):
        return [s.name for s in self.servers]

    def shared_disks(self):
        """LUNs every server sees (the potential cluster disks)."""
        seen = defaultdict(set)
        for s in self.servers:
            for lun, _, online in s.disks:
                if online:
                    seen[lun].add(s.name)
        everyone = set(self.names)
        return [d for d in self.disks if seen.get(d.name) == everyone]


@dataclass(frozen=True)
class TestResult:
    status: str
    lines: tuple = ()
    #: (headers, rows) printed under the lines, e.g. one row per node.
    table: tuple = None


@dataclass(frozen=True)
class Test:
    category: str
    name: str
    description: str
    check: Callable = field(repr=False, compare=False)
    #: Sim seconds the test takes on this configuration.
    cost: Callable = field(repr=False, compare=False, default=lambda facts: 1.0)


def _result(problems, lines=(), table=None):
    """Worst status among `problems` [(status, text)], Success if none."""
    status = SUCCESS
    for st, _ in problems:
        if ORDER[st] > ORDER[status]:
            status = st
    return TestResult(status, tuple(lines) + tuple(text for _, text in problems), table)


def _per_node(facts, headers, row):
    return (tuple(headers), tuple(tuple(row(s)) for s in facts.servers))


# -- Inventory: informational, always Success ----------------------------------

def _inventory(headers, row):
    return lambda f: TestResult(SUCCESS, ("Gathering information from every node.",), _per_node(f, headers, row))


INVENTORY = [
    ("List BIOS Information", "List the BIOS information of each node.",
     ("Node", "BIOS"), lambda s: (s.name, "System BIOS, version 1.0")),
    ("List Environment Variables", "List the environment variables set on each node.",
     ("Node", "NUMBER_OF_PROCESSORS"), lambda s: (s.name, "")),
    ("List Fibre Channel Host Bus Adapters", "List the Fibre Channel host bus adapters of each node.",
     ("Node", "Fibre Channel LUNs"), lambda s: (s.name, "")),
    ("List iSCSI Host Bus Adapters", "List the iSCSI host bus adapters of each node.",
     ("Node", "iSCSI"), lambda s: (s.name, "Microsoft iSCSI Initiator")),
    ("List Memory Information", "List the memory of each node.",
     ("Node", "Physical memory"), lambda s: (s.name, f"{s.memory_mb // 1024} GB")),
    ("List Operating System Information", "List the operating system of each node.",
     ("Node", "Operating system"), lambda s: (s.name, s.os_label)),
    ("List Plug and Play Devices", "List the Plug and Play devices of each node.",
     ("Node", "Devices"), lambda s: (s.name, f"{len(s.adapters)} network adapters, {len(s.disks)} shared disks")),
    ("List Running Processes", "List the processes running on each node.",
     ("Node", "Cluster service"), lambda s: (s.name, "clussvc.exe" if s.failover_clustering else "not installed")),
    ("List SAS Host Bus Adapters", "List the SAS host bus adapters of each node.",
     ("Node", "SAS"), lambda s: (s.name, "")),
    ("List Services Information", "List the services of each node.",
     ("Node", "Failover Clustering", "Hyper-V"),
     lambda s: (s.name, "Installed" if s.failover_clustering else "Not installed",
                "Installed" if s.hyperv else "Not installed")),
    ("List Software Updates", "List the software updates installed on each node.",
     ("Node", "Updates through"), lambda s: (s.name, s.update_level or "None")),
    ("List System Drivers", "List the drivers of each node.",
     ("Node", "Unsigned drivers"), lambda s: (s.name, "Yes" if s.unsigned_drivers else "No")),
    ("List System Information", "List the processor, memory and computer information of each node.",
     ("Node", "Processor", "Memory"), lambda s: (s.name, s.processor_model, f"{s.memory_mb // 1024} GB")),
    ("List Unsigned Drivers", "List the drivers without a digital signature on each node.",
     ("Node", "Unsigned drivers"), lambda s: (s.name, "Found" if s.unsigned_drivers else "None")),
]


# -- Network -----------------------------------------------------------------

def network_configuration(f):
    problems, rows = [], []
    for s in f.servers:
        connected = [a for a in s.adapters if a.connected and a.ip]
        subnets = Counter(a.subnet for a in connected)
        rows.append((s.name, ", ".join(f"{a.name} {a.ip}/{a.prefix}" for a in connected) or "none"))
        if len(connected) <= 1:
            problems.append((WARNING, f"Node {s.name} is reachable from the other nodes by only one network "
                                      "adapter. This is a single point of failure."))
        for subnet, n in subnets.items():
            if n > 1:
                problems.append((WARNING, f"Node {s.name} has {n} adapters on subnet {subnet}; the cluster "
                                          "uses only one adapter per subnet on each node."))
    shared = set.intersection(*[{a.subnet for a in s.adapters if a.connected and a.ip} for s in f.servers]) \
        if f.servers else set()
    if len(f.servers) > 1 and len(shared) == 1:
        problems.append((WARNING, "The nodes share only one network: it is a single point of failure "
                                  "for communication between them."))
    return _result(problems, (f"Cluster networks found: {len(shared)}.",), (("Node", "Adapters"), tuple(rows)))


def ip_configuration(f):
    problems = []
    owners = defaultdict(list)
    addressing = defaultdict(set)
    for s in f.servers:
        for a in s.adapters:
            if a.ip:
                owners[a.ip].append(f"{s.name} ({a.name})")
                addressing[a.subnet].add("DHCP" if a.dhcp else "static")
    for ip, where in owners.items():
        if len(where) > 1:
            problems.append((FAILED, f"The address {ip} is used by more than one adapter: {', '.join(where)}."))
    for subnet, kinds in addressing.items():
        if len(kinds) > 1:
            problems.append((FAILED, f"On network {subnet} some adapters use DHCP and others static addresses; "
                                     "all adapters of a cluster network must use the same kind."))
    return _result(problems, ("Verifying that every adapter has a usable, unique IP configuration.",))


def network_communication(f):
    if len(f.servers) < 2:
        return TestResult(NA, ("Communication between nodes needs at least two nodes.",))
    problems = []
    for s in f.servers:
        down = [a.name for a in s.adapters if not a.connected]
        if down:
            problems.append((WARNING, f"On {s.name}, adapter(s) {', '.join(down)} are disconnected."))
    subnets = {s.name: {a.subnet for a in s.adapters if a.connected and a.ip} for s in f.servers}
    for a in f.servers:
        for b in f.servers:
            if a.name < b.name:
                common = subnets[a.name] & subnets[b.name]
                if not common:
                    problems.append((FAILED, f"{a.name} and {b.name} share no network: they cannot communicate."))
                elif len(common) == 1:
                    problems.append((WARNING, f"{a.name} is reachable from {b.name} by only one pair of "
                                              f"interfaces ({next(iter(common))}): a single point of failure."))
    return _result(problems, ("Pinging every interface of every node from every other node.",))


def multiple_subnets(f):
    subnets = {a.subnet for s in f.servers for a in s.adapters if a.gateway}
    return TestResult(SUCCESS, (f"Client networks: {', '.join(sorted(subnets)) or 'none'}. "
                                "Heartbeat settings suit the subnets found.",))


# -- Storage -----------------------------------------------------------------

def _needs_storage(f):
    if len(f.servers) < 2:
        return TestResult(NA, ("Failover storage tests need at least two nodes.",))
    if not f.shared_disks():
        return TestResult(NA, ("No disk is seen by every node: there is no storage to test.",))
    return None


def list_all_disks(f):
    rows = tuple((s.name, ", ".join(f"Disk {num}: {lun}{'' if online else ' (path down)'}"
                                     for lun, num, online in s.disks) or "none") for s in f.servers)
    return TestResult(SUCCESS, ("Listing every disk visible to each node.",), (("Node", "Disks"), rows))


def potential_cluster_disks(f):
    shared = {d.name for d in f.shared_disks()}
    problems = []
    for d in f.disks:
        if d.name not in shared:
            missing = [s.name for s in f.servers if d.name not in {lun for lun, _, on in s.disks if on}]
            if len(missing) < len(f.servers):
                problems.append((WARNING, f"Disk {d.name} is not seen by every node (missing on "
                                          f"{', '.join(missing)}); it cannot be a cluster disk."))
    if len(f.servers) > 1 and not shared:
        problems.append((WARNING, "No disk is seen by every node."))
    return _result(problems, (f"Disks seen by every node: {', '.join(sorted(shared)) or 'none'}.",))


def persistent_reservation(f):
    na = _needs_storage(f)
    if na:
        return na
    problems, lines = [], []
    for d in f.shared_disks():
        for s in f.servers:
            num = next(num for lun, num, _ in s.disks if lun == d.name)
            ok = d.persistent_reservation
            lines.append(f"Registering PR key for cluster disk {num} ({d.name}) from node {s.name}: "
                         f"{'OK' if ok else 'failed'}.")
        if not d.persistent_reservation:
            problems.append((FAILED, f"Disk {d.name} does not support SCSI-3 Persistent Reservation commands; "
                                     "it cannot be used as a cluster disk."))
    return _result(problems, lines)


def _storage_needing_pr(action):
    def check(f):
        na = _needs_storage(f)
        if na:
            return na
        bad = [d.name for d in f.shared_disks() if not d.persistent_reservation]
        problems = [(FAILED, f"{action} failed for disk {name}: the disk does not support persistent "
                             "reservations.") for name in bad]
        return _result(problems, (f"{action} of {len(f.shared_disks())} disk(s) between the nodes.",))
    return check


def disk_latency(f):
    na = _needs_storage(f)
    if na:
        return na
    return TestResult(SUCCESS, tuple(f"Disk {d.name}: average access latency below 15 ms." for d in f.shared_disks()))


def file_system(f):
    na = _needs_storage(f)
    return na or TestResult(SUCCESS, ("Every disk has a file system the cluster supports (NTFS).",))


# -- System Configuration ------------------------------------------------------

def active_directory(f):
    domains = Counter(s.domain or "(workgroup)" for s in f.servers)
    problems = []
    if len(domains) > 1:
        problems.append((FAILED, "The nodes are not all in the same domain: " + ", ".join(
            f"{s.name} in {s.domain or 'a workgroup'}" for s in f.servers) + "."))
    elif "(workgroup)" in domains and f.version_order < 7:
        problems.append((FAILED, "The nodes are not members of a domain."))
    return _result(problems, table=_per_node(f, ("Node", "Domain"), lambda s: (s.name, s.domain or "WORKGROUP")))


def drivers_signed(f):
    problems = [(WARNING, f"Node {s.name} has unsigned drivers.") for s in f.servers if s.unsigned_drivers]
    return _result(problems, ("Checking that every driver is digitally signed.",))


def installation_option(f):
    options = {s.install_option for s in f.servers}
    problems = []
    if len(options) > 1:
        problems.append((WARNING, "The nodes do not all have the same installation option: " + ", ".join(
            f"{s.name} {'Server Core' if s.install_option == 'Core' else 'Full'}" for s in f.servers) + "."))
    return _result(problems, table=_per_node(f, ("Node", "Installation"), lambda s: (s.name, s.install_option)))


def os_versions(f):
    problems = []
    versions = {s.os_version for s in f.servers}
    if len(versions) > 1:
        problems.append((FAILED, "The nodes do not run the same version of Windows Server: " + ", ".join(
            f"{s.name} {s.os_label}" for s in f.servers) + "."))
    for s in f.servers:
        if s.edition == "Standard" and s.os_version in ("2008", "2008R2"):
            problems.append((FAILED, f"{s.name} runs the Standard edition, which has no failover clustering "
                                     "on this version (Enterprise or Datacenter is needed)."))
    if len({s.edition for s in f.servers}) > 1 and not problems:
        problems.append((WARNING, "The nodes run different editions."))
    return _result(problems, table=_per_node(f, ("Node", "Operating system"), lambda s: (s.name, s.os_label)))


def required_services(f):
    problems = [(FAILED, f"The Failover Clustering feature is not installed on {s.name}.")
                for s in f.servers if not s.failover_clustering]
    return _result(problems, ("Checking that the Cluster service is installed and set to start automatically.",))


def processor_architecture(f):
    problems = []
    vendors = {s.processor_vendor for s in f.servers}
    if len(vendors) > 1 and f.version_order < 3:
        problems.append((WARNING, "The nodes have processors from different manufacturers: " + ", ".join(
            f"{s.name} {_vendor(s)}" for s in f.servers) + ". Virtual machines cannot live-migrate between them."))
    return _result(problems, ("All nodes use the x64 processor architecture.",),
                   _per_node(f, ("Node", "Processor"), lambda s: (s.name, s.processor_model)))


def _vendor(s):
    return {"GenuineIntel": "Intel", "AuthenticAMD": "AMD"}.get(s.processor_vendor, s.processor_vendor)


def service_packs(f):
    problems = []
    if len({s.service_pack for s in f.servers}) > 1:
        problems.append((WARNING, "The nodes are at different service pack levels: " + ", ".join(
            f"{s.name} SP{s.service_pack}" for s in f.servers) + "."))
    return _result(problems)


def update_levels(f):
    problems = []
    if len({s.update_level for s in f.servers}) > 1:
        problems.append((WARNING, "The nodes do not have the same software updates: " + ", ".join(
            f"{s.name} through {s.update_level or 'none'}" for s in f.servers) + "."))
    return _result(problems)


# -- Hyper-V Configuration (2012+) -------------------------------------------------

def hyperv_role(f):
    problems = [(FAILED, f"The Hyper-V role is not installed on {s.name}; clustered virtual machines are "
                         "not supported there.") for s in f.servers if not s.hyperv]
    return _result(problems)


def switch_compatibility(f):
    names = {s.name: set(s.switches) for s in f.servers}
    every = set.intersection(*names.values()) if names else set()
    problems = []
    for s in f.servers:
        odd = sorted(names[s.name] - every)
        if odd:
            problems.append((WARNING, f"Virtual switch(es) {', '.join(odd)} on {s.name} are not present on every "
                                      "node; virtual machines using them cannot fail over everywhere."))
    return _result(problems, (f"Virtual switches on every node: {', '.join(sorted(every)) or 'none'}.",))


def vm_network_configuration(f):
    names = {s.name: set(s.switches) for s in f.servers}
    problems = []
    for vm in f.vms:
        missing = [n for n, sw in names.items() if vm.switch and vm.switch not in sw]
        if missing:
            problems.append((WARNING, f"Virtual machine {vm.name} is connected to '{vm.switch}', which "
                                      f"{', '.join(missing)} does not have."))
    return _result(problems, (f"Virtual machines checked: {len(f.vms)}.",))


def vm_storage_configuration(f):
    problems = [(WARNING, f"Virtual machine {vm.name} keeps files on local storage of {vm.host}; "
                          "it cannot fail over.") for vm in f.vms if not vm.on_shared_storage]
    return _result(problems, (f"Virtual machines checked: {len(f.vms)}.",))


def matching_processors(f):
    problems = []
    if len({s.processor_vendor for s in f.servers}) > 1:
        problems.append((WARNING, "The nodes have processors from different manufacturers: " + ", ".join(
            f"{s.name} {_vendor(s)}" for s in f.servers) + ". Live migration between them is not possible."))
    return _result(problems)


def _hyperv_info(f):
    return TestResult(SUCCESS, (f"Virtual machines found: {len(f.vms)}.",),
                      (("Node", "Hyper-V", "Virtual switches"),
                       tuple((s.name, "Installed" if s.hyperv else "Not installed", ", ".join(s.switches) or "none")
                             for s in f.servers)))


# -- Cluster Configuration (existing clusters, 2008 R2+) -------------------------

def quorum_configuration(f):
    c = f.cluster
    if c.quorum_type != c.recommended_quorum:
        return TestResult(WARNING, (f"The quorum configuration is {c.quorum_type}; for {len(f.servers)} nodes "
                                    f"{c.recommended_quorum} is recommended.",))
    return TestResult(SUCCESS, (f"The quorum configuration {c.quorum_type} is the recommended one.",))


def resource_status(f):
    problems = [(WARNING, f"Resource {r} is not online.") for r in f.cluster.offline_resources]
    return _result(problems, ("Checking the status of every clustered resource.",))


def _cluster_list(what, attr):
    return lambda f: TestResult(SUCCESS, (f"{what}: {', '.join(getattr(f.cluster, attr)) or 'none'}.",))


def _t(category, name, description, check, cost=1.0):
    return Test(category, name, description, check, cost if callable(cost) else (lambda f, c=cost: c))


def _disk_cost(base):
    return lambda f: base + 1.5 * len(f.shared_disks())


def catalogue(version_order, existing_cluster=False):
    """The tests of the version, in the report's order."""
    tests = []
    if existing_cluster and version_order >= 2:
        tests += [
            _t("Cluster Configuration", "List Cluster Core Groups", "List the core groups of the cluster.",
               _cluster_list("Core groups", "roles")),
            _t("Cluster Configuration", "List Cluster Network Information", "List the cluster networks.",
               _cluster_list("Cluster networks", "networks")),
            _t("Cluster Configuration", "List Cluster Resources", "List the resources of the cluster.",
               lambda f: TestResult(SUCCESS, ("Every resource of every role listed.",))),
            _t("Cluster Configuration", "List Cluster Volumes", "List the volumes of the cluster.",
               _cluster_list("Volumes", "volumes")),
            _t("Cluster Configuration", "List Clustered Roles" if version_order >= 3 else
               "List Clustered Services and Applications", "List the clustered roles.",
               _cluster_list("Roles", "roles")),
            _t("Cluster Configuration", "Validate Quorum Configuration",
               "Validate that the quorum configuration is the recommended one.", quorum_configuration),
            _t("Cluster Configuration", "Validate Resource Status", "Validate that every resource is online.",
               resource_status),
            _t("Cluster Configuration", "Validate Service Principal Name",
               "Validate the service principal name of the cluster.",
               lambda f: TestResult(SUCCESS, ("The cluster name object has its service principal names.",))),
            _t("Cluster Configuration", "Validate Volume Consistency", "Validate that volumes are consistent.",
               lambda f: TestResult(SUCCESS, ("No volume needs a consistency check.",))),
        ]
    if version_order >= 3:
        hv = "Hyper-V Configuration"
        tests += [
            _t(hv, "List Hyper-V Virtual Machine Information", "List the virtual machines of each node.", _hyperv_info),
            _t(hv, "List Information About Servers Running Hyper-V", "List the Hyper-V hosts.", _hyperv_info),
            _t(hv, "Validate Compatibility of Virtual Fibre Channel SANs for Hyper-V",
               "Validate virtual Fibre Channel SAN names across nodes.",
               lambda f: TestResult(SUCCESS, ("No virtual SAN is configured.",))),
            _t(hv, "Validate Hyper-V Memory Resource Pool Compatibility",
               "Validate memory resource pools across nodes.", lambda f: TestResult(SUCCESS)),
            _t(hv, "Validate Hyper-V Network Resource Pool And Virtual Switch Compatibility",
               "Validate that every node has the same virtual switches.", switch_compatibility),
            _t(hv, "Validate Hyper-V Processor Resource Pool Compatibility",
               "Validate processor resource pools across nodes.", lambda f: TestResult(SUCCESS)),
            _t(hv, "Validate Hyper-V Role Installed", "Validate that the Hyper-V role is installed on every node.",
               hyperv_role),
            _t(hv, "Validate Hyper-V Storage Resource Pool Compatibility",
               "Validate storage resource pools across nodes.", lambda f: TestResult(SUCCESS)),
            _t(hv, "Validate Hyper-V Virtual Machine Network Configuration",
               "Validate that every node has the switches the virtual machines use.", vm_network_configuration),
            _t(hv, "Validate Hyper-V Virtual Machine Storage Configuration",
               "Validate that virtual machine files are on shared storage.", vm_storage_configuration),
            _t(hv, "Validate Matching Processor Manufacturers",
               "Validate that every node has processors from the same manufacturer.", matching_processors),
            _t(hv, "Validate Hyper-V Integration Services Version",
               "Validate the integration services version of the virtual machines.", lambda f: TestResult(SUCCESS)),
        ]
    tests += [_t("Inventory", name, desc, _inventory(headers, row), 0.5) for name, desc, headers, row in INVENTORY]
    net = "Network"
    tests += [
        _t(net, "List Network Binding Order", "List the order of the network adapter bindings.",
           lambda f: TestResult(SUCCESS, table=_per_node(f, ("Node", "Binding order"),
                                                         lambda s: (s.name, ", ".join(a.name for a in s.adapters))))),
        _t(net, "Validate Cluster Network Configuration",
           "Validate the cluster networks that would be created for these servers.", network_configuration, 2.0),
        _t(net, "Validate IP Configuration", "Validate that IP addresses are unique and consistently assigned.",
           ip_configuration, 1.5),
    ]
    if version_order >= 2:
        tests.append(_t(net, "Validate Multiple Subnet Properties",
                        "Validate that heartbeat settings suit the subnets.", multiple_subnets))
    tests.append(_t(net, "Validate Network Communication",
                    "Validate that every node can reach every other node through more than one network.",
                    network_communication, 3.0))
    if version_order >= 2:
        tests.append(_t(net, "Validate Windows Firewall Configuration",
                        "Validate that the Failover Clusters firewall rules are enabled.",
                        lambda f: TestResult(SUCCESS, ("The Failover Clusters rules are enabled on every node.",))))
    st = "Storage"
    tests += [
        _t(st, "List All Disks", "List every disk visible to each node.", list_all_disks),
        _t(st, "List Potential Cluster Disks", "List the disks every node sees.", potential_cluster_disks),
        _t(st, "Validate Disk Access Latency", "Validate acceptable latency for disk reads and writes.",
           disk_latency, _disk_cost(1)),
        _t(st, "Validate Disk Arbitration", "Validate that a node that reserves a disk keeps it.",
           _storage_needing_pr("Arbitration"), _disk_cost(1)),
        _t(st, "Validate Disk Failover", "Validate that a disk can fail over between nodes.",
           _storage_needing_pr("Failover"), _disk_cost(2)),
        _t(st, "Validate File System", "Validate the file system of the disks.", file_system),
        _t(st, "Validate Microsoft MPIO-Based Disks", "Validate multipath disks.",
           lambda f: _needs_storage(f) or TestResult(SUCCESS, ("No disk uses MPIO.",))),
        _t(st, "Validate Multiple Arbitration", "Validate simultaneous arbitration of the disks.",
           _storage_needing_pr("Multiple arbitration"), _disk_cost(1)),
        _t(st, "Validate SCSI Device Vital Product Data (VPD)", "Validate unique identifiers of the disks.",
           lambda f: _needs_storage(f) or TestResult(SUCCESS, ("Every disk reports a unique identifier.",))),
        _t(st, "Validate SCSI-3 Persistent Reservation",
           "Validate that storage supports the SCSI-3 Persistent Reservation commands.",
           persistent_reservation, _disk_cost(1)),
        _t(st, "Validate Simultaneous Failover", "Validate that disks can fail over at the same time.",
           _storage_needing_pr("Simultaneous failover"), _disk_cost(1)),
    ]
    sc = "System Configuration"
    tests += [
        _t(sc, "Validate Active Directory Configuration", "Validate that every node is in the same domain.",
           active_directory),
        _t(sc, "Validate All Drivers Signed", "Validate that every driver is signed.", drivers_signed),
        _t(sc, "Validate Cluster Service and Driver Settings", "Validate the Cluster service settings.",
           lambda f: TestResult(SUCCESS)),
        _t(sc, "Validate Memory Dump Settings", "Validate that memory dumps can be written.",
           lambda f: TestResult(SUCCESS)),
        _t(sc, "Validate Operating System Installation Option",
           "Validate that every node has the same installation option.", installation_option),
        _t(sc, "Validate Operating System Version(s)" if version_order <= 2 else "Validate Operating System Version",
           "Validate that every node runs the same version and a suitable edition.", os_versions),
        _t(sc, "Validate Required Services", "Validate that the required services are installed and running.",
           required_services),
        _t(sc, "Validate Same Processor Architecture", "Validate that every node has the same processor architecture.",
           processor_architecture),
        _t(sc, "Validate Service Pack Levels", "Validate that every node is at the same service pack level.",
           service_packs),
        _t(sc, "Validate Software Update Levels", "Validate that every node has the same software updates.",
           update_levels),
        _t(sc, "Validate System Drive Variable", "Validate that every node uses the same system drive.",
           lambda f: TestResult(SUCCESS)),
    ]
    return tests


CATEGORY_ORDER = ["Cluster Configuration", "Hyper-V Configuration", "Inventory", "Network", "Storage",
                  "System Configuration"]


def run(facts, selected=None, existing_cluster=False):
    """[(Test, TestResult)] for the selected test names (all by default)."""
    out = []
    for test in catalogue(facts.version_order, existing_cluster):
        if selected is not None and test.name not in selected:
            continue
        out.append((test, test.check(facts)))
    return out


def overall(statuses):
    """'success' | 'warnings' | 'failed' for the report's first sentence."""
    statuses = list(statuses)
    if FAILED in statuses:
        return "failed"
    if WARNING in statuses or CANCELED in statuses:
        return "warnings"
    return "success"
