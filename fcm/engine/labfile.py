"""Loading a lab from a data file (scenarios/labs/*.toml).

A lab file describes the datacenter as it stands: domains, subnets,
servers with their adapters and virtual switches, SAN LUNs and who sees
them, clusters (nodes, addresses, disks and what they are assigned to),
virtual machines (clustered ones get their role and resources), and past
events. The schema is documented in docs/lab-files.md.

Every object is checked with the model's own validation before it is
saved, and every problem is reported with where it is in the file, e.g.
`nodes[1] (WS08R2-S2).memory_mb: Ensure this value is greater than...`.
The whole file loads in one transaction: a bad file changes nothing.
"""
import tomllib
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from fcm.sim import networks as netsim
from fcm.sim.units import parse_size

from fcm.inventory import models as m

from .effects.broker import create_broker
from .effects.roles import make_highly_available
from .errors import ReplicationError, RoleError

LABS_DIR = Path(__file__).resolve().parent.parent.parent / "scenarios" / "labs"


class LabFileError(Exception):
    """A lab file problem, with the place in the file it concerns."""

    def __init__(self, where, message, source=""):
        self.where, self.message, self.source = where, message, source
        prefix = f"{source}: " if source else ""
        super().__init__(f"{prefix}{where}: {message}" if where else f"{prefix}{message}")


def lab_path(name_or_path):
    """A lab name (file in scenarios/labs/) or a path to a .toml file."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        return p
    return LABS_DIR / f"{name_or_path}.toml"


def available_labs():
    return sorted(p.stem for p in LABS_DIR.glob("*.toml"))


def read(path, variant=True):
    """The lab file's data; a variant (`[lab] variant_of = "other-lab"`) is the other lab's data with its
    own [lab] table and its [variant] changes applied."""
    path = Path(path)
    if not path.exists():
        known = ", ".join(available_labs()) or "none"
        raise LabFileError("", f"no lab file at {path} (labs available: {known})")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise LabFileError("", f"not valid TOML: {exc}", source=str(path)) from None
    base = (data.get("lab") or {}).get("variant_of") if isinstance(data.get("lab"), dict) else None
    if base is None:
        return data
    if not variant:
        raise LabFileError("lab.variant_of", "a variant's lab cannot be a variant itself", source=str(path))
    return _variant(read(lab_path(base), variant=False), data, str(path))


#: What a [variant] table may change, in every server and cluster of the lab it varies.
VARIANT_KEYS = ("os_version", "update_level")


def _variant(base, data, source):
    """The base lab's data as the variant has it: its [lab] table, every server (and cluster) on the
    variant's version and update level (the 2012 R2 telling of a 2012 lab), and the variant's own tables
    ([[nodes]], [[virtual_machines]], ...) added to the base's."""
    changes = data.get("variant") or {}
    unknown = sorted(set(changes) - set(VARIANT_KEYS))
    if unknown:
        raise LabFileError(f"variant.{unknown[0]}", f"a variant changes only {', '.join(VARIANT_KEYS)}", source=source)
    out = {**base, "lab": {k: v for k, v in data["lab"].items() if k != "variant_of"}}
    out["nodes"] = [{**node, **changes} for node in base.get("nodes", [])]
    if "os_version" in changes:
        out["clusters"] = [{**c, "os_version": changes["os_version"]} for c in base.get("clusters", [])]
    for key, entries in data.items():  # what the variant adds: its own servers, disks, VMs...
        if key not in ("lab", "variant") and isinstance(entries, list):
            out[key] = list(out.get(key, [])) + entries
    return out


def load(path, owner, name=None, replace=False, data=None):
    """Create the lab described by the file at `path` (or by `data` read from it and adapted), owned by `owner`."""
    data = read(path) if data is None else data
    try:
        return _Loader(data, owner, name=name, replace=replace, source=Path(path).name).run()
    except LabFileError as exc:
        if not exc.source:
            exc = LabFileError(exc.where, exc.message, source=str(path))
        raise exc from None


class _Loader:
    def __init__(self, data, owner, name=None, replace=False, source=""):
        self.data, self.owner, self.name, self.replace, self.source = data, owner, name, replace, source
        self.domains, self.networks, self.nodes, self.disks = {}, {}, {}, {}
        self.clusters, self.adapters, self.cluster_disks, self.shares = {}, {}, {}, {}

    # -- helpers -----------------------------------------------------------
    def _save(self, obj, where, exclude=()):
        try:
            obj.full_clean(exclude=list(exclude))
        except ValidationError as exc:
            details = "; ".join(
                f"{field}: {' '.join(msgs)}" if field != "__all__" else " ".join(msgs)
                for field, msgs in exc.message_dict.items()
            )
            raise LabFileError(where, details) from None
        obj.save()
        return obj

    @staticmethod
    def _require(entry, key, where):
        if key not in entry:
            raise LabFileError(where, f"'{key}' is required")
        return entry[key]

    def _ref(self, table, key, where, kind):
        if key not in table:
            known = ", ".join(sorted(table)) or "none"
            raise LabFileError(where, f"unknown {kind} {key!r} (known: {known})")
        return table[key]

    @staticmethod
    def _size(value, where):
        try:
            return parse_size(value)
        except ValueError as exc:
            raise LabFileError(where, str(exc)) from None

    @staticmethod
    def _entries(data, key):
        items = data.get(key, [])
        if not isinstance(items, list):
            raise LabFileError(key, "must be an array of tables ([[%s]])" % key)
        for i, entry in enumerate(items):
            if not isinstance(entry, dict):
                raise LabFileError(f"{key}[{i}]", "must be a table")
            label = entry.get("name", "")
            yield f"{key}[{i}]" + (f" ({label})" if label else ""), entry

    # -- sections ------------------------------------------------------------
    @transaction.atomic
    def run(self):
        meta = self.data.get("lab")
        if not isinstance(meta, dict):
            raise LabFileError("lab", "the file needs a [lab] table with at least a name")
        name = self.name or self._require(meta, "name", "lab")
        existing = m.Lab.objects.filter(name=name)
        if existing.exists():
            if not self.replace:
                raise LabFileError("lab.name", f"a lab named {name!r} already exists")
            existing.delete()
        start = meta.get("start", datetime(2026, 1, 1, 9, 0, tzinfo=dt_timezone.utc))
        if isinstance(start, datetime) and start.tzinfo is None:
            start = start.replace(tzinfo=dt_timezone.utc)
        if not isinstance(start, datetime):
            raise LabFileError("lab.start", "must be a date and time, e.g. 2010-03-15T09:00:00Z")
        self.start = start
        lab = m.Lab(name=name, title=meta.get("title", ""), description=meta.get("description", ""),
                    source=self.source, owner=self.owner, sim_anchor=start)
        self.lab = self._save(lab, "lab")
        self._domains()
        self._networks()
        self._nodes()
        self._shares()
        self._disks()
        self._clusters()
        self._wan_links()
        self._replica_servers()
        self._virtual_machines()
        self._events()
        return self.lab

    def _domains(self):
        for where, e in self._entries(self.data, "domains"):
            name = self._require(e, "name", where)
            netbios = e.get("netbios_name", name.split(".")[0].upper()[:15])
            self.domains[name] = self._save(
                m.Domain(lab=self.lab, name=name, netbios_name=netbios), where)

    def _networks(self):
        for where, e in self._entries(self.data, "networks"):
            net = m.Network(
                lab=self.lab, name=self._require(e, "name", where),
                subnet=self._require(e, "subnet", where), gateway=e.get("gateway", ""),
                purpose=e.get("purpose", m.Network.Purpose.PUBLIC),
                speed_mbps=e.get("speed_mbps", 1000), dhcp=e.get("dhcp", False))
            self.networks[net.name] = self._save(net, where)

    def _nodes(self):
        simple = ["edition", "install_option", "service_pack", "update_level", "processor_vendor",
                  "processor_family", "processor_model", "sockets", "cores", "hyperv_installed",
                  "failover_clustering_installed", "unsigned_drivers", "power_state", "site",
                  # Hyper-V Settings (Live Migrations, Advanced Features, Storage Migrations)
                  "vm_migration_enabled", "max_vm_migrations", "max_storage_migrations", "migration_authentication",
                  "migration_performance", "use_any_network_for_migration", "local_storage_mib_s"]
        delegations = []
        for where, e in self._entries(self.data, "nodes"):
            node = m.Node(lab=self.lab, name=self._require(e, "name", where),
                          os_version=self._require(e, "os_version", where),
                          **{k: e[k] for k in simple if k in e})
            if "memory" in e:
                node.memory_mb = self._size(e["memory"], f"{where}.memory") // (1024 * 1024)
            if "domain" in e:
                node.domain = self._ref(self.domains, e["domain"], f"{where}.domain", "domain")
            self.nodes[node.name] = self._save(node, where)
            if "delegates_to" in e:
                delegations.append((node, e["delegates_to"], f"{where}.delegates_to"))
            for j, subnet in enumerate(e.get("migration_networks", [])):
                self._save(m.MigrationNetwork(node=node, subnet=subnet, priority=j), f"{where}.migration_networks[{j}]")
            for j, a in enumerate(e.get("adapters", [])):
                aw = f"{where}.adapters[{j}]"
                adapter = m.NetworkAdapter(
                    node=node, name=self._require(a, "name", aw), ip_address=a.get("ip", ""),
                    prefix_length=a.get("prefix", 24), gateway=a.get("gateway", ""),
                    dhcp=a.get("dhcp", False), connected=a.get("connected", True))
                if "network" in a:
                    adapter.network = self._ref(self.networks, a["network"], f"{aw}.network", "network")
                    adapter.speed_mbps = a.get("speed_mbps", adapter.network.speed_mbps)
                    if not adapter.gateway and adapter.network.gateway and not a.get("no_gateway"):
                        adapter.gateway = adapter.network.gateway
                self.adapters[(node.name, adapter.name)] = self._save(adapter, aw)
            for j, s in enumerate(e.get("virtual_switches", [])):
                sw = f"{where}.virtual_switches[{j}]"
                switch = m.VirtualSwitch(node=node, name=self._require(s, "name", sw),
                                         kind=s.get("kind", m.VirtualSwitch.Kind.EXTERNAL))
                if "adapter" in s:
                    switch.adapter = self._ref(
                        {k[1]: v for k, v in self.adapters.items() if k[0] == node.name},
                        s["adapter"], f"{sw}.adapter", "adapter")
                self._save(switch, sw)
        for node, names, where in delegations:  # constrained delegation to servers of the lab (any order)
            node.delegates_to.set([self._ref(self.nodes, name, where, "server") for name in names])

    def _shares(self):
        for where, e in self._entries(self.data, "shares"):
            server = self._ref(self.nodes, self._require(e, "server", where), f"{where}.server", "server")
            share = m.FileShare(lab=self.lab, server=server, name=self._require(e, "name", where),
                                local_path=self._require(e, "path", where),
                                capacity_bytes=self._size(self._require(e, "size", where), f"{where}.size"),
                                throughput_mib_s=e.get("throughput_mib_s", 400))
            if "used" in e:
                share.other_used_bytes = self._size(e["used"], f"{where}.used")
            self.shares[share.unc.lower()] = self._save(share, where)
            share.full_access.set([self._ref(self.nodes, name, f"{where}.full_access", "server")
                                   for name in e.get("full_access", [])])

    def _share_of(self, path, where):
        """The share a UNC path (\\\\server\\share\\...) is on; None for a local or LUN path."""
        if not path.startswith("\\\\"):
            return None
        parts = path[2:].split("\\")
        key = f"\\\\{parts[0]}\\{parts[1] if len(parts) > 1 else ''}".lower()
        if key not in self.shares:
            raise LabFileError(where, f"{path} is on no share of the lab's [[shares]]")
        return self.shares[key]

    def _disks(self):
        numbers = {}
        for where, e in self._entries(self.data, "disks"):
            disk = m.Disk(
                lab=self.lab, name=self._require(e, "name", where),
                size_bytes=self._size(self._require(e, "size", where), f"{where}.size"),
                bus_type=e.get("bus_type", m.Disk.BusType.ISCSI), target=e.get("target", ""),
                scsi3_persistent_reservation=e.get("scsi3_persistent_reservation", True),
                throughput_mib_s=e.get("throughput_mib_s", 100),
                drive_letter=e.get("drive_letter", ""), volume_label=e.get("volume_label", e["name"]),
                file_system=e.get("file_system", "NTFS"))
            if "used" in e:
                disk.used_bytes = self._size(e["used"], f"{where}.used")
            self.disks[disk.name] = self._save(disk, where)
            for node_name in e.get("seen_by", []):
                node = self._ref(self.nodes, node_name, f"{where}.seen_by", "node")
                # Disk 0 is each server's boot disk; SAN LUNs follow in file order.
                numbers[node.pk] = numbers.get(node.pk, 0) + 1
                m.DiskPath.objects.create(disk=disk, node=node, disk_number=numbers[node.pk])

    def _clusters(self):
        for where, e in self._entries(self.data, "clusters"):
            cluster = m.Cluster(lab=self.lab, name=self._require(e, "name", where),
                                os_version=self._require(e, "os_version", where),
                                created_at=self.start - timedelta(days=e.get("age_days", 30)))
            if "domain" in e:
                cluster.domain = self._ref(self.domains, e["domain"], f"{where}.domain", "domain")
            cluster.apply_version_defaults(hyperv_vms_clustered=True)
            for key in ("quorum_type", "file_share_witness", "csv_enabled", "state"):
                if key in e:
                    setattr(cluster, key, e[key])
            self.clusters[cluster.name] = self._save(cluster, where)
            self._cluster_nodes(cluster, e, where)
            self._cluster_addresses(cluster, e, where)
            self._cluster_networks(cluster, e, where)
            self._cluster_disks(cluster, e, where)

    def _cluster_nodes(self, cluster, e, where):
        members = self._require(e, "nodes", where)
        for i, entry in enumerate(members, start=1):
            entry = {"name": entry} if isinstance(entry, str) else entry
            nw = f"{where}.nodes[{i - 1}]"
            node = self._ref(self.nodes, self._require(entry, "name", nw), nw, "node")
            if node.os_version != cluster.os_version:
                raise LabFileError(nw, f"{node.name} runs {node.get_os_version_display()}, "
                                       f"the cluster {cluster.get_os_version_display()}")
            node.cluster, node.node_id = cluster, i
            powered = node.power_state == m.Node.PowerState.ON
            node.state = entry.get("state", m.Node.State.UP if powered else m.Node.State.DOWN)
            node.node_weight = entry.get("vote", 1)
            node.dynamic_weight = node.node_weight if node.state == m.Node.State.UP else 0
            self._save(node, nw)

    def _cluster_addresses(self, cluster, e, where):
        for j, a in enumerate(e.get("addresses", [])):
            aw = f"{where}.addresses[{j}]"
            network = self._ref(self.networks, self._require(a, "network", aw), f"{aw}.network", "network")
            ip = self._require(a, "ip", aw)
            if not netsim.in_subnet(ip, network.subnet):
                raise LabFileError(aw, f"{ip} is not in {network.subnet}")
            self._save(m.ClusterAddress(cluster=cluster, network=network, ip_address=ip), aw)

    def _cluster_networks(self, cluster, e, where):
        by_node = {}
        for (node_name, _), adapter in self.adapters.items():
            if self.nodes[node_name].cluster_id == cluster.pk and adapter.ip_address:
                by_node.setdefault(node_name, []).append(adapter.address_with_prefix)
        overrides = {o["network"]: o for o in e.get("networks", [])}
        subnet_to_net = {n.subnet: n for n in self.networks.values()}
        for i, subnet in enumerate(netsim.shared_subnets(by_node), start=1):
            network = subnet_to_net.get(subnet)
            if network is None:
                continue
            o = overrides.get(network.name, {})
            role = netsim.default_role(bool(network.gateway), network.purpose == "storage",
                                       cluster.version.order)
            if "role" in o:
                if o["role"] not in netsim.ROLE_NAMES:
                    raise LabFileError(f"{where}.networks ({network.name}).role",
                                       f"must be one of {', '.join(netsim.ROLE_NAMES)}")
                role = netsim.ROLE_NAMES[o["role"]]
            self._save(m.ClusterNetwork(cluster=cluster, network=network,
                                        name=o.get("name", f"Cluster Network {i}"), role=role,
                                        metric=o.get("metric", 1000 * i + (10000 if network.gateway else 0))),
                       f"{where}.networks[{i - 1}]")

    def _cluster_disks(self, cluster, e, where):
        owner = cluster.nodes.filter(state=m.Node.State.UP).order_by("node_id").first()
        csv_number = 0
        for i, d in enumerate(e.get("disks", []), start=1):
            dw = f"{where}.disks[{i - 1}]"
            disk = self._ref(self.disks, self._require(d, "disk", dw), f"{dw}.disk", "disk")
            missing = set(cluster.nodes.values_list("name", flat=True)) - set(
                disk.seen_by.values_list("name", flat=True))
            if missing:
                raise LabFileError(dw, f"disk {disk.name!r} is not seen by {', '.join(sorted(missing))}")
            assignment = d.get("assignment", m.ClusterDisk.Assignment.AVAILABLE)
            cd = m.ClusterDisk(cluster=cluster, disk=disk, name=d.get("name", f"Cluster Disk {i}"),
                               assignment=assignment, owner_node=owner)
            if assignment == m.ClusterDisk.Assignment.CSV:
                csv_number += 1
                cd.csv_number = d.get("volume", csv_number)
            if assignment == m.ClusterDisk.Assignment.ROLE:
                # The role is created with its VM; park the disk until then.
                cd.assignment = m.ClusterDisk.Assignment.AVAILABLE
            self.cluster_disks[disk.name] = (self._save(cd, dw), assignment)
        witnesses = [cd for cd, a in self.cluster_disks.values()
                     if cd.cluster_id == cluster.pk and a == m.ClusterDisk.Assignment.WITNESS]
        needs_witness = cluster.quorum_type in (m.Cluster.Quorum.NODE_AND_DISK, m.Cluster.Quorum.DISK_ONLY)
        if needs_witness and len(witnesses) != 1:
            raise LabFileError(f"{where}.disks", f"quorum {cluster.get_quorum_type_display()!r} "
                                                 "needs exactly one disk with assignment = 'witness'")
        if not needs_witness and witnesses:
            raise LabFileError(f"{where}.disks", f"quorum {cluster.get_quorum_type_display()!r} "
                                                 "has no disk witness")

    def _wan_links(self):
        for where, e in self._entries(self.data, "wan_links"):
            self._save(m.WanLink(lab=self.lab, name=self._require(e, "name", where),
                                 site_a=self._require(e, "site_a", where), site_b=self._require(e, "site_b", where),
                                 bandwidth_mbps=e.get("bandwidth_mbps", 100), up=e.get("up", True)), where)

    def _replica_servers(self):
        """Replication Configuration of a server (`node`), or a cluster's Replica Broker (`cluster`, `name`, `ip`)."""

        settings = ["enabled", "kerberos", "kerberos_port", "certificate", "certificate_port", "allow_any",
                    "default_storage", "firewall_http", "firewall_https"]
        for where, e in self._entries(self.data, "replica_servers"):
            if "cluster" in e:
                cluster = self._ref(self.clusters, e["cluster"], f"{where}.cluster", "cluster")
                try:
                    server = create_broker(cluster, self._require(e, "name", where), self._require(e, "ip", where))
                except ReplicationError as exc:
                    raise LabFileError(where, str(exc)) from None
            else:
                node = self._ref(self.nodes, self._require(e, "node", where), f"{where}.node", "node")
                server = m.ReplicaServer(lab=self.lab, node=node, name=node.name)
            for key in settings:
                if key in e:
                    setattr(server, key, e[key])
            self._save(server, where)
            for j, a in enumerate(e.get("authorizations", [])):
                aw = f"{where}.authorizations[{j}]"
                self._save(m.ReplicaAuthorization(
                    server=server, primary_server=self._require(a, "primary_server", aw),
                    storage_location=self._require(a, "storage_location", aw),
                    trust_group=a.get("trust_group", "DEFAULT")), aw)

    def _virtual_machines(self):
        for where, e in self._entries(self.data, "virtual_machines"):
            host = self._ref(self.nodes, self._require(e, "host", where), f"{where}.host", "node")
            vm = m.VirtualMachine(
                lab=self.lab, name=self._require(e, "name", where), host_node=host,
                state=e.get("state", m.VirtualMachine.State.OFF), vcpus=e.get("vcpus", 1),
                generation=e.get("generation", 1), dynamic_memory=e.get("dynamic_memory", False),
                guest_os=e.get("guest_os", "Windows Server 2008 R2 Enterprise"),
                guest_install_option=e.get("guest_install_option", "Full"),
                configuration_path=self._require(e, "configuration_path", where),
                virtual_switch=e.get("virtual_switch", ""), workload=e.get("workload", "web"))
            if "memory" in e:
                vm.memory_mb = self._size(e["memory"], f"{where}.memory") // (1024 * 1024)
            if "configuration_disk" in e:
                vm.configuration_disk = self._ref(self.disks, e["configuration_disk"],
                                                  f"{where}.configuration_disk", "disk")
            vm.configuration_share = self._share_of(vm.configuration_path, f"{where}.configuration_path")
            if vm.state == m.VirtualMachine.State.RUNNING:
                vm.started_at = self.start - timedelta(hours=e.get("uptime_hours", 72))
            self._save(vm, where)
            for j, h in enumerate(e.get("hard_disks", [])):
                hw = f"{where}.hard_disks[{j}]"
                size = self._size(self._require(h, "size", hw), f"{hw}.size")
                vhd = m.VirtualHardDisk(
                    virtual_machine=vm, path=self._require(h, "path", hw), max_size_bytes=size,
                    file_size_bytes=self._size(h["file_size"], f"{hw}.file_size") if "file_size" in h else size,
                    format=h.get("format", "VHD"), kind=h.get("kind", "Fixed"),
                    controller=h.get("controller", f"IDE 0:{j}"))
                if "disk" in h:
                    vhd.disk = self._ref(self.disks, h["disk"], f"{hw}.disk", "disk")
                vhd.share = self._share_of(vhd.path, f"{hw}.path")
                self._save(vhd, hw)
            if "cluster" in e:
                self._make_highly_available(vm, e, where)

    def _make_highly_available(self, vm, e, where):

        cluster = self._ref(self.clusters, e["cluster"], f"{where}.cluster", "cluster")
        priority = m.Role.Priority.__members__.get(
            str(e.get("priority", "Medium")).upper().replace(" ", "_"))
        if priority is None:
            raise LabFileError(f"{where}.priority", "must be High, Medium, Low or No Auto Start")
        # A lab file states the result, so the 2008 "Off or Saved first" rule
        # (a rule about making a running VM highly available) does not apply.
        state = vm.state
        vm.state = m.VirtualMachine.State.OFF
        try:
            role = make_highly_available(vm, cluster, priority, log=False)
        except RoleError as exc:
            raise LabFileError(f"{where}.cluster", str(exc)) from None
        if state != vm.state:
            m.VirtualMachine.objects.filter(pk=vm.pk).update(state=state)
            running = state == m.VirtualMachine.State.RUNNING
            m.Role.objects.filter(pk=role.pk).update(state=m.Role.State.ONLINE if running else m.Role.State.OFFLINE)
            m.Resource.objects.filter(role=role, type__in=[m.Resource.Type.VIRTUAL_MACHINE,
                                                           m.Resource.Type.VM_CONFIGURATION]).update(
                state=m.Resource.State.ONLINE if running else m.Resource.State.OFFLINE)
        for rank, node_name in enumerate(e.get("preferred_owners", []), start=1):
            node = self._ref(self.nodes, node_name, f"{where}.preferred_owners", "node")
            m.PreferredOwner.objects.create(role=role, node=node, rank=rank)

    def _events(self):
        levels = {label: value for value, label in m.ClusterEvent.Level.choices}
        roles = {r.name: r for r in m.Role.objects.filter(cluster__lab=self.lab)}
        for where, e in self._entries(self.data, "events"):
            cluster = self._ref(self.clusters, self._require(e, "cluster", where), f"{where}.cluster", "cluster")
            level = self._require(e, "level", where)
            if level not in levels:
                raise LabFileError(f"{where}.level", f"must be one of {', '.join(levels)}")
            event = m.ClusterEvent(
                lab=self.lab, cluster=cluster,
                sim_time=self.start - timedelta(minutes=self._require(e, "minutes_ago", where)),
                level=levels[level], event_id=self._require(e, "event_id", where),
                task_category=e.get("task_category", ""), description=self._require(e, "description", where))
            if "node" in e:
                event.node = self._ref(self.nodes, e["node"], f"{where}.node", "node")
            if "role" in e:
                event.role = self._ref(roles, e["role"], f"{where}.role", "role")
            self._save(event, where)
