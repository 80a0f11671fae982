import ipaddress

from django.core.exceptions import ValidationError
from django.db import models

from fcm.sim import migration, versions, workload  # noqa: F401  (workload used by vms)
from fcm.sim.names import fqdn, netbios_name_problem

from fcm.inventory import looks
from fcm.inventory import ranges


def validate_netbios_name(value):
    problem = netbios_name_problem(value)
    if problem:
        raise ValidationError(problem)


def validate_ipv4(value):
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ValidationError(f"'{value}' is not a valid IPv4 address.") from None


def validate_ipv4_network(value):
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise ValidationError(
            f"'{value}' is not a valid IPv4 subnet such as 192.168.100.0/24."
        ) from None


class Domain(models.Model):
    """An Active Directory domain of the lab (e.g. contoso.com)."""

    lab = models.ForeignKey("Lab", on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(max_length=120, help_text="DNS name, e.g. contoso.com")
    netbios_name = models.CharField(max_length=15, validators=[validate_netbios_name])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["lab", "name"], name="domain_unique_per_lab")
        ]

    def __str__(self):
        return self.name


class Network(models.Model):
    """A physical IP subnet of the lab: public, private/heartbeat, iSCSI, ..."""

    class Purpose(models.TextChoices):
        PUBLIC = "public", "Public"
        PRIVATE = "private", "Private (cluster)"
        STORAGE = "storage", "Storage (iSCSI)"
        LIVE_MIGRATION = "live-migration", "Live migration"
        REPLICATION = "replication", "Replication (WAN)"

    lab = models.ForeignKey("Lab", on_delete=models.CASCADE, related_name="networks")
    name = models.CharField(max_length=80)
    subnet = models.CharField(max_length=43, validators=[validate_ipv4_network])
    gateway = models.CharField(max_length=15, blank=True, validators=[validate_ipv4])
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.PUBLIC)
    speed_mbps = models.PositiveIntegerField(default=1000, validators=ranges.LINK_MBPS, help_text="Link speed, Mbit/s")
    dhcp = models.BooleanField(default=False)

    class Meta:
        ordering = ["subnet"]
        constraints = [
            models.UniqueConstraint(fields=["lab", "name"], name="network_unique_name_per_lab"),
            models.UniqueConstraint(fields=["lab", "subnet"], name="network_unique_subnet_per_lab"),
        ]

    def __str__(self):
        return f"{self.name} ({self.subnet})"

    @property
    def ip_network(self):
        return ipaddress.IPv4Network(self.subnet)

    def clean(self):
        if self.gateway and self.subnet:
            try:
                if ipaddress.IPv4Address(self.gateway) not in self.ip_network:
                    raise ValidationError({"gateway": f"{self.gateway} is not in {self.subnet}."})
            except ValueError:
                pass


class MigrationAuthentication(models.TextChoices):
    """Hyper-V Settings > Live Migrations > Advanced Features: Authentication protocol."""

    CREDSSP = "CredSSP", "Use Credential Security Support Provider (CredSSP)"
    KERBEROS = "Kerberos", "Use Kerberos"


class Node(models.Model):
    """A physical server. It may or may not be a member of a cluster.

    The cluster membership (state, votes) lives here too: a server belongs
    to at most one cluster, and the product shows both side by side.
    """

    class Edition(models.TextChoices):
        STANDARD = "Standard", "Standard"
        ENTERPRISE = "Enterprise", "Enterprise"
        DATACENTER = "Datacenter", "Datacenter"

    class InstallOption(models.TextChoices):
        FULL = "Full", "Full Installation"
        CORE = "Core", "Server Core Installation"

    class ProcessorVendor(models.TextChoices):
        INTEL = "GenuineIntel", "Intel"
        AMD = "AuthenticAMD", "AMD"

    class PowerState(looks.PresentedTextChoices):
        ON = "On", "On", looks.UP
        OFF = "Off", "Off", looks.OFF
        #: Restart Server: shutting down, configuring what waited for the restart, booting.
        RESTARTING = "Restarting", "Restarting", looks.PENDING

    class State(looks.PresentedTextChoices):
        """Cluster node state (the Nodes list's Status column)."""

        UP = "Up", "Up", looks.UP
        DOWN = "Down", "Down", looks.DOWN
        PAUSED = "Paused", "Paused", looks.PAUSED
        JOINING = "Joining", "Joining", looks.PENDING
        #: 2016+: cut off by a transient fault, still running its VMs (Unmonitored) during the resiliency period.
        ISOLATED = "Isolated", "Isolated", looks.WARNING
        #: 2016+: isolated too often; may not join until the quarantine ends.
        QUARANTINED = "Quarantined", "Quarantined", looks.FAILED

    class DrainStatus(models.TextChoices):
        """Pause -> Drain Roles progress (the Nodes list's Information column)."""

        IN_PROGRESS = "In Progress", "Draining"
        COMPLETED = "Completed", "Drain Completed"
        FAILED = "Failed", "Drain Failed"

    lab = models.ForeignKey("Lab", on_delete=models.CASCADE, related_name="nodes")
    name = models.CharField(max_length=15, validators=[validate_netbios_name])
    domain = models.ForeignKey(
        Domain, null=True, blank=True, on_delete=models.SET_NULL, related_name="nodes"
    )
    os_version = models.CharField(max_length=8, choices=versions.CHOICES)
    edition = models.CharField(max_length=12, choices=Edition.choices, default=Edition.ENTERPRISE)
    install_option = models.CharField(
        max_length=4, choices=InstallOption.choices, default=InstallOption.FULL
    )
    service_pack = models.PositiveSmallIntegerField(default=0)
    update_level = models.CharField(
        max_length=20, blank=True, help_text="Latest update installed, e.g. 2010-06"
    )
    processor_vendor = models.CharField(
        max_length=12, choices=ProcessorVendor.choices, default=ProcessorVendor.INTEL
    )
    processor_family = models.CharField(max_length=40, default="Intel64 Family 6")
    processor_model = models.CharField(max_length=80, default="Intel(R) Xeon(R) CPU E5430 @ 2.66GHz")
    sockets = models.PositiveSmallIntegerField(default=2)
    cores = models.PositiveSmallIntegerField(default=8)
    memory_mb = models.PositiveIntegerField(default=32768, validators=ranges.MEMORY_MB)
    hyperv_installed = models.BooleanField("Hyper-V role installed", default=True)
    failover_clustering_installed = models.BooleanField(
        "Failover Clustering feature installed", default=True
    )
    unsigned_drivers = models.BooleanField(default=False)
    power_state = models.CharField(max_length=10, choices=PowerState.choices, default=PowerState.ON)
    pending_changes = models.JSONField(
        default=dict, blank=True,
        help_text="What applies at the next restart: domain (name, '' for a workgroup), features, updates.")
    site = models.CharField(max_length=40, blank=True, help_text="Datacenter site; sites talk over WAN links.")

    # Hyper-V Settings > Live Migrations, Advanced Features, Storage Migrations (2012+; Set-VMHost).
    vm_migration_enabled = models.BooleanField(
        "incoming and outgoing live migrations enabled", default=False,
        help_text="Enable-VMMigration. A cluster node takes part in its cluster's live migrations either way.")
    max_vm_migrations = models.PositiveSmallIntegerField(
        "simultaneous live migrations", default=2, validators=ranges.MIGRATIONS_AT_ONCE)
    max_storage_migrations = models.PositiveSmallIntegerField(
        "simultaneous storage migrations", default=2, validators=ranges.MIGRATIONS_AT_ONCE)
    migration_authentication = models.CharField(
        "live migration authentication", max_length=8, choices=MigrationAuthentication.choices,
        default=MigrationAuthentication.CREDSSP)
    migration_performance = models.CharField(
        "live migration performance option", max_length=12, blank=True, choices=migration.PERFORMANCE_CHOICES,
        help_text="Blank: the version's default (Compression from 2012 R2, TCP/IP before).")
    #: Active Directory Users and Computers > this computer's account > Delegation: "Trust this computer for
    #: delegation to specified services only" (cifs and Microsoft Virtual System Migration Service) on these
    #: computers. Kerberos-authenticated live migrations from this host go only to them.
    delegates_to = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="delegated_from",
        help_text="Constrained delegation (cifs, Microsoft Virtual System Migration Service) to these servers.")
    #: Throughput of the host's own disks (C:, D:), which VMs outside shared storage use.
    local_storage_mib_s = models.PositiveIntegerField(
        "local storage throughput (MiB/s)", default=200, validators=ranges.DISK_THROUGHPUT)
    use_any_network_for_migration = models.BooleanField(
        "use any available network for live migration", default=True,
        help_text="Off: incoming live migrations only on the migration networks listed, in order.")

    cluster = models.ForeignKey(
        "Cluster", null=True, blank=True, on_delete=models.SET_NULL, related_name="nodes"
    )
    node_id = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Cluster node ID")
    state = models.CharField(max_length=12, choices=State.choices, blank=True)
    node_weight = models.PositiveSmallIntegerField(
        "assigned vote", default=1, help_text="NodeWeight: 1 votes in quorum, 0 does not."
    )
    dynamic_weight = models.PositiveSmallIntegerField(
        "current vote", default=1, help_text="DynamicWeight (2012+ dynamic quorum)."
    )
    drain_status = models.CharField(
        max_length=12, blank=True, choices=DrainStatus.choices,
        help_text="Pause -> Drain Roles progress, shown in the Information column.")
    paused_at = models.DateTimeField(null=True, blank=True, help_text="Sim time the node was paused")
    stopping_service = models.BooleanField(default=False, help_text="Stop Cluster Service: Down once drained")
    service_stopped = models.BooleanField(
        default=False, help_text="Stopped by the administrator: it does not rejoin by itself.")
    quarantined_until = models.DateTimeField(null=True, blank=True, help_text="Sim time the quarantine ends")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["lab", "name"], name="node_unique_name_per_lab"),
            models.UniqueConstraint(
                fields=["cluster", "node_id"], name="node_unique_id_per_cluster",
                condition=models.Q(cluster__isnull=False),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def fqdn(self):
        return fqdn(self.name, self.domain.name if self.domain_id else "")

    @property
    def version(self):
        return versions.get(self.os_version)

    @property
    def live_migration_performance(self):
        """The performance option its live migrations use: its own, else its version's default."""
        return self.migration_performance or migration.default_performance_option(self.version.order)

    @property
    def os_label(self):
        core = " (Server Core)" if self.install_option == self.InstallOption.CORE else ""
        sp = f" Service Pack {self.service_pack}" if self.service_pack else ""
        return f"{self.version.label} {self.edition}{core}{sp}"

    @property
    def storage_paths_down(self):
        return sum(1 for p in self.disk_paths.all() if not p.online)

    @property
    def storage_summary(self):
        """'4 paths, all working' / '1 of 4 paths down' / 'Disconnected' (reads prefetched disk_paths)."""
        total = len(self.disk_paths.all())
        down = self.storage_paths_down
        if not total:
            return "No shared storage"
        if down == total:
            return f"Disconnected (all {total} paths down)" if total > 1 else "Disconnected (its path is down)"
        if down:
            return f"{down} of {total} paths down"
        return f"{total} path{'s' if total > 1 else ''}, all working"

    def clean(self):
        if self.cluster_id and not self.state:
            raise ValidationError({"state": "A cluster node needs a state (Up, Down, Paused, Joining)."})
        if not self.cluster_id and self.state:
            raise ValidationError({"state": "Only a cluster node has a cluster state."})
        if self.cluster_id and self.cluster.lab_id != self.lab_id:
            raise ValidationError({"cluster": "The cluster belongs to another lab."})


class NetworkAdapter(models.Model):
    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="adapters")
    name = models.CharField(max_length=80, help_text="e.g. Local Area Connection 2")
    network = models.ForeignKey(
        Network, null=True, blank=True, on_delete=models.SET_NULL, related_name="adapters"
    )
    ip_address = models.CharField(max_length=15, blank=True, validators=[validate_ipv4])
    prefix_length = models.PositiveSmallIntegerField(default=24)
    gateway = models.CharField(max_length=15, blank=True, validators=[validate_ipv4])
    dhcp = models.BooleanField(default=False)
    speed_mbps = models.PositiveIntegerField(default=1000, validators=ranges.LINK_MBPS)
    connected = models.BooleanField(default=True)

    class Meta:
        ordering = ["node__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["node", "name"], name="adapter_unique_name_per_node")
        ]

    def __str__(self):
        return f"{self.node.name} - {self.name}"

    @property
    def address_with_prefix(self):
        return f"{self.ip_address}/{self.prefix_length}" if self.ip_address else ""

    def clean(self):
        if self.network_id and self.ip_address and not self.dhcp:
            try:
                inside = ipaddress.IPv4Address(self.ip_address) in self.network.ip_network
            except ValueError:
                return
            if not inside:
                raise ValidationError(
                    {"ip_address": f"{self.ip_address} is not in {self.network.subnet}."}
                )


class MigrationNetwork(models.Model):
    """A subnet a host accepts incoming live migrations on (Set-VMMigrationNetwork), when it does not use any."""

    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="migration_networks")
    subnet = models.CharField(max_length=18, validators=[validate_ipv4_network], help_text="e.g. 192.168.10.0/24")
    priority = models.PositiveSmallIntegerField(default=0, help_text="Lower first.")

    class Meta:
        ordering = ["node__name", "priority", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["node", "subnet"], name="migration_network_unique_per_node")
        ]

    def __str__(self):
        return f"{self.node.name} - {self.subnet}"


class VirtualSwitch(models.Model):
    """A Hyper-V virtual switch on a host (external ones are bound to an adapter)."""

    class Kind(models.TextChoices):
        EXTERNAL = "External", "External"
        INTERNAL = "Internal", "Internal"
        PRIVATE = "Private", "Private"

    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="virtual_switches")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.EXTERNAL)
    adapter = models.ForeignKey(
        NetworkAdapter, null=True, blank=True, on_delete=models.SET_NULL, related_name="switches"
    )

    class Meta:
        ordering = ["node__name", "name"]
        verbose_name_plural = "virtual switches"
        constraints = [
            models.UniqueConstraint(fields=["node", "name"], name="switch_unique_name_per_node")
        ]

    def __str__(self):
        return f"{self.node.name} - {self.name}"


class Disk(models.Model):
    """A LUN on the lab's SAN (or a local disk when seen by one server)."""

    class BusType(models.TextChoices):
        ISCSI = "iSCSI", "iSCSI"
        FIBRE_CHANNEL = "Fibre Channel", "Fibre Channel"
        SAS = "SAS", "SAS"
        LOCAL = "Local", "Local (SATA/RAID)"

    lab = models.ForeignKey("Lab", on_delete=models.CASCADE, related_name="disks")
    name = models.CharField(max_length=80, help_text="LUN name on the array, e.g. Quorum")
    size_bytes = models.PositiveBigIntegerField(validators=ranges.DISK_BYTES)
    bus_type = models.CharField(max_length=16, choices=BusType.choices, default=BusType.ISCSI)
    target = models.CharField(
        max_length=200, blank=True, help_text="iSCSI portal/target or FC array that serves it"
    )
    scsi3_persistent_reservation = models.BooleanField(
        "supports SCSI-3 persistent reservations", default=True
    )
    throughput_mib_s = models.PositiveIntegerField(
        default=100, validators=ranges.DISK_THROUGHPUT,
        help_text="Sustained throughput, MiB/s (1 Gb iSCSI ~100, 4 Gb FC ~400)"
    )
    drive_letter = models.CharField(max_length=1, blank=True)
    volume_label = models.CharField(max_length=32, blank=True)
    file_system = models.CharField(max_length=8, default="NTFS")
    used_bytes = models.PositiveBigIntegerField(default=0, validators=ranges.USED_BYTES)
    online = models.BooleanField(default=True, help_text="The LUN answers (Simulate -> Fail Disk takes it away).")
    seen_by = models.ManyToManyField(Node, through="DiskPath", related_name="disks", blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["lab", "name"], name="disk_unique_name_per_lab")
        ]

    def __str__(self):
        return self.name

    @property
    def free_bytes(self):
        return max(self.size_bytes - self.used_bytes, 0)


class DiskPath(models.Model):
    """A server's path to a LUN, with the disk number that server gives it."""

    disk = models.ForeignKey(Disk, on_delete=models.CASCADE, related_name="paths")
    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="disk_paths")
    disk_number = models.PositiveSmallIntegerField()
    online = models.BooleanField(default=True, help_text="The path works (cable, HBA, initiator).")

    class Meta:
        ordering = ["node__name", "disk_number"]
        constraints = [
            models.UniqueConstraint(fields=["disk", "node"], name="diskpath_unique"),
            models.UniqueConstraint(fields=["node", "disk_number"], name="diskpath_unique_number"),
        ]

    def __str__(self):
        return f"Disk {self.disk_number} on {self.node.name}"
