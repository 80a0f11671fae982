from django.core.exceptions import ValidationError
from django.db import models

from django.core.validators import MaxValueValidator, MinValueValidator

from fcm.sim import storage_paths, versions
from fcm.sim.names import fqdn

from fcm.inventory import looks
from .servers import Domain, Disk, Network, Node, validate_ipv4, validate_netbios_name


class Cluster(models.Model):
    """A failover cluster and its cluster-wide settings."""

    class Quorum(models.TextChoices):
        NODE_MAJORITY = "NodeMajority", "Node Majority"
        NODE_AND_DISK = "NodeAndDiskMajority", "Node and Disk Majority"
        NODE_AND_FILE_SHARE = "NodeAndFileShareMajority", "Node and File Share Majority"
        DISK_ONLY = "DiskOnly", "No Majority: Disk Only"
        CLOUD_WITNESS = "NodeAndCloudMajority", "Node and Cloud Witness Majority"

    class State(looks.PresentedTextChoices):
        RUNNING = "Running", "Running", looks.UP
        DOWN = "Down", "Down", looks.DOWN

    lab = models.ForeignKey("Lab", on_delete=models.CASCADE, related_name="clusters")
    name = models.CharField(max_length=15, validators=[validate_netbios_name])
    domain = models.ForeignKey(Domain, null=True, blank=True, on_delete=models.SET_NULL)
    os_version = models.CharField(
        max_length=8, choices=versions.CHOICES,
        help_text="Functional level: the Windows Server version its nodes run.",
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    quorum_type = models.CharField(
        max_length=24, choices=Quorum.choices, default=Quorum.NODE_MAJORITY
    )
    file_share_witness = models.CharField(max_length=200, blank=True, help_text=r"\\server\share")
    dynamic_quorum = models.BooleanField(default=False)
    csv_enabled = models.BooleanField(
        "Cluster Shared Volumes enabled", default=False,
        help_text="2008 R2 needs 'Enable Cluster Shared Volumes'; always on from 2012.",
    )
    same_subnet_delay_ms = models.PositiveIntegerField(default=1000)
    same_subnet_threshold = models.PositiveSmallIntegerField(default=5)
    cross_subnet_delay_ms = models.PositiveIntegerField(default=1000)
    cross_subnet_threshold = models.PositiveSmallIntegerField(default=5)
    resiliency_period_s = models.PositiveIntegerField(
        "resiliency default period (s)", default=240, validators=[MaxValueValidator(3600)],
        help_text="2016+: how long an isolated node keeps its VMs (Unmonitored) before they fail over; 0 = off.")
    quarantine_threshold = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(100)],
        help_text="2016+: isolations within an hour that quarantine a node; 0 = never.")
    quarantine_duration_s = models.PositiveIntegerField(
        "quarantine duration (s)", default=7200, validators=[MaxValueValidator(86400)])
    forced_quorum = models.BooleanField(
        default=False, help_text="Force Cluster Start: running without a majority until enough nodes join.")
    simultaneous_live_migrations = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(64)],
        help_text="Per host; more moves queue (2008 R2: one at a time).")
    simultaneous_storage_migrations = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(64)])
    created_at = models.DateTimeField(null=True, blank=True, help_text="Sim time it was created.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["lab", "name"], name="cluster_unique_name_per_lab")
        ]

    def __str__(self):
        return self.fqdn

    @property
    def fqdn(self):
        return fqdn(self.name, self.domain.name if self.domain_id else "")

    @property
    def version(self):
        return versions.get(self.os_version)

    @property
    def roles_label(self):
        return self.version.roles_label

    @property
    def show_csv_folder(self):
        """2008 R2 shows a 'Cluster Shared Volumes' tree item once enabled."""
        return self.version.csv_needs_enabling and self.csv_enabled

    def apply_version_defaults(self, hyperv_vms_clustered=False):
        hb = versions.heartbeat_defaults(self.os_version, hyperv_vms_clustered)
        self.same_subnet_delay_ms = hb.same_subnet_delay_ms
        self.same_subnet_threshold = hb.same_subnet_threshold
        self.cross_subnet_delay_ms = hb.cross_subnet_delay_ms
        self.cross_subnet_threshold = hb.cross_subnet_threshold
        self.simultaneous_live_migrations = max(self.version.simultaneous_live_migrations, 1)
        self.dynamic_quorum = self.version.dynamic_quorum
        if not self.version.csv_needs_enabling:
            self.csv_enabled = self.version.csv


class ClusterAddress(models.Model):
    """A static IP address of the cluster's administrative access point."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="addresses")
    network = models.ForeignKey(Network, on_delete=models.CASCADE)
    ip_address = models.CharField(max_length=15, validators=[validate_ipv4])

    class Meta:
        ordering = ["ip_address"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "network"], name="cluster_one_ip_per_network")
        ]

    def __str__(self):
        return self.ip_address


class ClusterNetwork(models.Model):
    """A cluster's view of one subnet its nodes share ("Cluster Network 1")."""

    class Role(models.IntegerChoices):
        NONE = 0, "None"
        CLUSTER_ONLY = 1, "Cluster Only"
        CLUSTER_AND_CLIENT = 3, "Cluster and Client"

    class State(looks.PresentedTextChoices):
        UP = "Up", "Up", looks.UP
        PARTITIONED = "Partitioned", "Partitioned", looks.WARNING
        DOWN = "Down", "Down", looks.DOWN
        UNAVAILABLE = "Unavailable", "Unavailable", looks.DOWN

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="cluster_networks")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="cluster_networks")
    name = models.CharField(max_length=80)
    role = models.PositiveSmallIntegerField(choices=Role.choices, default=Role.CLUSTER_AND_CLIENT)
    state = models.CharField(max_length=12, choices=State.choices, default=State.UP)
    metric = models.PositiveIntegerField(default=10000)
    #: Live Migration Settings: the order networks are tried in (empty = by
    #: the default rules) and whether live migration may use the network at all.
    live_migration_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    live_migration_allowed = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "name"], name="clusternetwork_unique_name"),
            models.UniqueConstraint(fields=["cluster", "network"], name="clusternetwork_unique_subnet"),
        ]

    def __str__(self):
        return self.name


class ClusterDisk(models.Model):
    """A LUN the cluster manages ("Cluster Disk 1") and what it is assigned to."""

    class Assignment(models.TextChoices):
        AVAILABLE = "available", "Available Storage"
        WITNESS = "witness", "Disk Witness in Quorum"
        CSV = "csv", "Cluster Shared Volume"
        ROLE = "role", "Role"

    class State(looks.PresentedTextChoices):
        ONLINE = "Online", "Online", looks.UP
        OFFLINE = "Offline", "Offline", looks.DOWN
        FAILED = "Failed", "Failed", looks.FAILED
        ONLINE_PENDING = "Online Pending", "Online Pending", looks.PENDING
        OFFLINE_PENDING = "Offline Pending", "Offline Pending", looks.PENDING

    class Access(looks.PresentedTextChoices):
        """How a node reaches a Cluster Shared Volume (fcm.sim.storage_paths); not stored."""

        DIRECT = storage_paths.DIRECT, "Direct", looks.UP
        REDIRECTED = storage_paths.REDIRECTED, "Redirected", looks.WARNING
        NO_ACCESS = storage_paths.NO_ACCESS, "No access", looks.FAILED

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="cluster_disks")
    disk = models.OneToOneField(Disk, on_delete=models.CASCADE, related_name="cluster_disk")
    name = models.CharField(max_length=80)
    assignment = models.CharField(
        max_length=10, choices=Assignment.choices, default=Assignment.AVAILABLE
    )
    role = models.ForeignKey(
        "Role", null=True, blank=True, on_delete=models.SET_NULL, related_name="disks"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.ONLINE)
    owner_node = models.ForeignKey(
        Node, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_disks"
    )
    csv_number = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=r"N in C:\ClusterStorage\VolumeN"
    )
    redirected = models.BooleanField(
        default=False, help_text="CSV: some node reaches it only through the coordinator (redirected access).")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "name"], name="clusterdisk_unique_name"),
            models.UniqueConstraint(
                fields=["cluster", "csv_number"], name="clusterdisk_unique_csv_number",
                condition=models.Q(csv_number__isnull=False),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def assigned_to(self):
        """The 'Assigned To' column: the role's name for role-owned disks."""
        if self.assignment == self.Assignment.ROLE and self.role_id:
            return self.role.name
        return self.get_assignment_display()

    @property
    def status_text(self):
        """The Status column: a CSV some node reaches only through the coordinator says so."""
        if self.redirected and self.state == self.State.ONLINE:
            return "Online (Redirected Access)"
        return self.get_state_display()

    @property
    def volume_path(self):
        if self.assignment == self.Assignment.CSV and self.csv_number:
            return rf"C:\ClusterStorage\Volume{self.csv_number}"
        if self.disk.drive_letter:
            return f"{self.disk.drive_letter}:"
        return ""

    @property
    def file_system(self):
        if self.assignment == self.Assignment.CSV and self.cluster.version.order >= 3:
            return "CSVFS"
        return self.disk.file_system

    def clean(self):
        if self.assignment == self.Assignment.ROLE and not self.role_id:
            raise ValidationError({"role": "A disk assigned to a role needs that role."})
        if self.assignment != self.Assignment.ROLE and self.role_id:
            raise ValidationError({"role": "Only a disk assigned to a role names a role."})
        if self.assignment == self.Assignment.CSV and not self.csv_number:
            raise ValidationError({"csv_number": "A Cluster Shared Volume needs its volume number."})
        if self.assignment != self.Assignment.CSV and self.csv_number:
            raise ValidationError({"csv_number": "Only a Cluster Shared Volume has a volume number."})
