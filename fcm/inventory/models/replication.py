"""Hyper-V Replica: sites and WAN links, Replica server settings, replication relationships."""
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from fcm.sim import replication as sim_replication

from fcm.inventory import looks
from .servers import Node
from .vms import VirtualMachine
from fcm.inventory import ranges


class WanLink(models.Model):
    """The link between two sites (Node.site) that replication traffic crosses."""

    lab = models.ForeignKey("Lab", on_delete=models.CASCADE, related_name="wan_links")
    name = models.CharField(max_length=80)
    site_a = models.CharField(max_length=40)
    site_b = models.CharField(max_length=40)
    bandwidth_mbps = models.PositiveIntegerField(default=100, validators=ranges.LINK_MBPS)
    up = models.BooleanField(default=True, help_text="Simulate -> Disconnect WAN link takes it down.")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["lab", "name"], name="wanlink_unique_name")]

    def __str__(self):
        return self.name


class ReplicaServer(models.Model):
    """Replication Configuration of a Hyper-V server, or the Replication Settings of a cluster's
    Hyper-V Replica Broker (then `broker_role` is set and `name` is the broker's access point)."""

    lab = models.ForeignKey("Lab", on_delete=models.CASCADE, related_name="replica_servers")
    node = models.OneToOneField(Node, null=True, blank=True, on_delete=models.CASCADE, related_name="replica_server")
    broker_role = models.OneToOneField("Role", null=True, blank=True, on_delete=models.CASCADE,
                                       related_name="replica_server")
    name = models.CharField(max_length=15,
                            help_text="The name primaries give: the server, or the broker's access point.")
    ip_address = models.CharField(max_length=15, blank=True, help_text="The broker's access point address.")
    enabled = models.BooleanField("Enable this computer as a Replica server", default=False)
    kerberos = models.BooleanField("Use Kerberos (HTTP)", default=True)
    kerberos_port = models.PositiveIntegerField(default=80, validators=[MinValueValidator(1), MaxValueValidator(65535)])
    certificate = models.BooleanField("Use certificate-based Authentication (HTTPS)", default=False)
    certificate_port = models.PositiveIntegerField(default=443,
                                                   validators=[MinValueValidator(1), MaxValueValidator(65535)])
    allow_any = models.BooleanField("Allow replication from any authenticated server", default=True)
    default_storage = models.CharField(max_length=200, blank=True)
    firewall_http = models.BooleanField("Hyper-V Replica HTTP Listener (TCP-In) enabled", default=False)
    firewall_https = models.BooleanField("Hyper-V Replica HTTPS Listener (TCP-In) enabled", default=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["lab", "name"], name="replicaserver_unique_name")]

    def __str__(self):
        return self.name

    @property
    def cluster(self):
        return self.broker_role.cluster if self.broker_role_id else (self.node.cluster if self.node_id else None)

    def hosts(self):
        """Nodes that can hold replica VMs: the broker's cluster nodes, or the server itself."""
        if self.broker_role_id:
            return Node.objects.filter(cluster=self.broker_role.cluster)
        return Node.objects.filter(pk=self.node_id)


class ReplicaAuthorization(models.Model):
    """'Allow replication from the specified servers': one row of the grid."""

    server = models.ForeignKey(ReplicaServer, on_delete=models.CASCADE, related_name="authorizations")
    primary_server = models.CharField(max_length=200, help_text="FQDN or wildcard, e.g. *.contoso.com")
    storage_location = models.CharField(max_length=200)
    trust_group = models.CharField(max_length=40, default="DEFAULT")

    class Meta:
        ordering = ["primary_server"]


class Replication(models.Model):
    """One VM's replication relationship, from the primary's point of view."""

    class State(looks.PresentedTextChoices):
        """The PowerShell ReplicationState names; the console words them (see state_text)."""

        READY = "ReadyForInitialReplication", "Pending Initial Replication", looks.PENDING
        WAITING = "WaitingForInitialReplication", "Waiting for Initial Replication", looks.PENDING
        INITIAL = "InitialReplicationInProgress", "Initial Replication in Progress", looks.PENDING
        REPLICATING = "Replicating", "Replication Enabled", looks.UP
        PREPARED = "PreparedForFailover", "Prepared for planned failover", looks.PENDING
        FAILED_OVER_WAITING = "FailOverWaitingCompletion", "Failover Complete", looks.WARNING
        FAILED_OVER = "FailedOver", "Failed over", looks.INFO
        SUSPENDED = "Suspended", "Replication Paused", looks.PAUSED
        ERROR = "Error", "Replication Error", looks.FAILED
        RESYNC_REQUIRED = "WaitingForStartResynchronize", "Resynchronization required", looks.WARNING
        RESYNCHRONIZING = "Resynchronizing", "Resynchronizing", looks.PENDING

    class Health(looks.PresentedTextChoices):
        """Replication Health (fcm.sim.replication's levels); computed, not stored."""

        NORMAL = sim_replication.NORMAL, "Normal", looks.UP
        WARNING = sim_replication.WARNING, "Warning", looks.WARNING
        CRITICAL = sim_replication.CRITICAL, "Critical", looks.CRITICAL

    class Auth(models.TextChoices):
        KERBEROS = "Kerberos", "Kerberos (HTTP)"
        CERTIFICATE = "Certificate", "Certificate-based (HTTPS)"

    class InitialMethod(models.TextChoices):
        NETWORK = "network", "Send initial copy over the network"
        MEDIA = "media", "Send initial copy using external media"
        EXISTING = "existing", "Use an existing virtual machine on the Replica server as the initial copy"

    lab = models.ForeignKey("Lab", on_delete=models.CASCADE, related_name="replications")
    primary_vm = models.OneToOneField(VirtualMachine, on_delete=models.CASCADE, related_name="replication")
    replica_vm = models.OneToOneField(VirtualMachine, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="replica_of")
    replica_server = models.ForeignKey(ReplicaServer, on_delete=models.PROTECT, related_name="replications")
    #: The name the primary is known by (its broker's access point, or its host).
    primary_server = models.CharField(max_length=80)
    auth = models.CharField(max_length=12, choices=Auth.choices, default=Auth.KERBEROS)
    port = models.PositiveIntegerField(default=80)
    compression = models.BooleanField(default=True)
    frequency_s = models.PositiveIntegerField(default=300)
    additional_points = models.PositiveSmallIntegerField(default=0)
    vss_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    initial_method = models.CharField(max_length=10, choices=InitialMethod.choices, default=InitialMethod.NETWORK)
    vhd_mib = models.FloatField(default=0, validators=ranges.REPLICATION_MIB, help_text="Size of the replicated VHDs")
    state = models.CharField(max_length=32, choices=State.choices, default=State.READY)
    paused = models.BooleanField(default=False)
    #: The monitoring window and its statistics (Reset Statistics starts a new one).
    stats_from = models.DateTimeField(null=True, blank=True)
    successful_cycles = models.PositiveIntegerField(default=0)
    missed_cycles = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    total_mib = models.FloatField(default=0, validators=ranges.REPLICATION_MIB)
    max_mib = models.FloatField(default=0, validators=ranges.REPLICATION_MIB)
    pending_mib = models.FloatField(default=0, validators=ranges.REPLICATION_MIB)
    last_sync_at = models.DateTimeField(null=True, blank=True, help_text="Sim time the last cycle was applied")
    next_cycle_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.CharField(max_length=300, blank=True)
    failed_over_at = models.DateTimeField(null=True, blank=True)
    failover_point = models.DateTimeField(null=True, blank=True)
    test_vm = models.OneToOneField(VirtualMachine, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="test_of")
    last_test_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.primary_vm.name} -> {self.replica_server.name}"

    @property
    def average_mib(self):
        return self.total_mib / self.successful_cycles if self.successful_cycles else 0.0


class RecoveryPoint(models.Model):
    """A point the replica can be failed over to: the latest cycle, hourly points, VSS snapshots."""

    replication = models.ForeignKey(Replication, on_delete=models.CASCADE, related_name="recovery_points")
    sim_time = models.DateTimeField()
    app_consistent = models.BooleanField(default=False)

    class Meta:
        ordering = ["-sim_time"]
