from django.core.exceptions import ValidationError
from django.db import models

from fcm.inventory import looks
from .servers import Node


class Role(models.Model):
    """A clustered role (cluster group): a virtual machine, a file server, ..."""

    class Type(models.TextChoices):
        VIRTUAL_MACHINE = "Virtual Machine", "Virtual Machine"
        FILE_SERVER = "File Server", "File Server"
        GENERIC_SERVICE = "Generic Service", "Generic Service"
        DTC = "Distributed Transaction Coordinator", "Distributed Transaction Coordinator"
        REPLICA_BROKER = "Hyper-V Replica Broker", "Hyper-V Replica Broker"

    class State(looks.PresentedTextChoices):
        """CLUSTER_GROUP_STATE. The console words it per version (see status_text)."""

        ONLINE = "Online", "Online", looks.UP
        OFFLINE = "Offline", "Offline", looks.DOWN
        FAILED = "Failed", "Failed", looks.FAILED
        PARTIAL_ONLINE = "PartialOnline", "Partially Online", looks.WARNING
        PENDING = "Pending", "Pending", looks.PENDING

    class Priority(models.IntegerChoices):
        HIGH = 3000, "High"
        MEDIUM = 2000, "Medium"
        LOW = 1000, "Low"
        NO_AUTO_START = 0, "No Auto Start"

    class Failback(models.TextChoices):
        PREVENT = "Prevent", "Prevent failback"
        ALLOW = "Allow", "Allow failback"

    cluster = models.ForeignKey("Cluster", on_delete=models.CASCADE, related_name="roles")
    name = models.CharField(max_length=120)
    type = models.CharField(max_length=40, choices=Type.choices, default=Type.VIRTUAL_MACHINE)
    state = models.CharField(max_length=14, choices=State.choices, default=State.OFFLINE)
    owner_node = models.ForeignKey(
        Node, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_roles"
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    description = models.CharField(max_length=200, blank=True)
    preferred_owners = models.ManyToManyField(
        Node, through="PreferredOwner", related_name="preferred_for", blank=True
    )
    failover_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="Maximum failures in the period; empty = nodes - 1."
    )
    failover_period_hours = models.PositiveSmallIntegerField(default=6)
    failback = models.CharField(max_length=8, choices=Failback.choices, default=Failback.PREVENT)
    failback_window_start = models.PositiveSmallIntegerField(null=True, blank=True)
    failback_window_end = models.PositiveSmallIntegerField(null=True, blank=True)
    information = models.CharField(max_length=200, blank=True)
    #: Sim times of recent resource failures and failovers (restart and failover thresholds).
    failure_log = models.JSONField(default=dict, blank=True)
    #: PersistentState: online when the cluster last stopped (quorum lost); it comes back when the cluster forms.
    persistent_state = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "name"], name="role_unique_name_per_cluster")
        ]
        indexes = [models.Index(fields=["cluster", "name"])]

    def __str__(self):
        return self.name

    @property
    def status_text(self):
        """What the Status column shows.

        2012 onwards a VM role shows the VM's state (Running, Off, Saved...);
        2008/2008 R2 show the group state (Online, Offline, Failed...), and
        2012+ shows other roles as Running/Stopped/Failed/Partially Running.
        """
        modern = self.cluster.version.order >= 3
        if modern and self.type == self.Type.VIRTUAL_MACHINE:
            vm = getattr(self, "virtual_machine", None)
            if vm is not None and self.state != self.State.FAILED:
                return vm.get_state_display()
        if modern:
            return {
                self.State.ONLINE: "Running",
                self.State.OFFLINE: "Stopped",
                self.State.FAILED: "Failed",
                self.State.PARTIAL_ONLINE: "Partially Running",
                self.State.PENDING: "Pending",
            }[self.state]
        return self.get_state_display()

    @property
    def status_icon(self):
        """The group state's icon (role_icon shows the VM's instead from 2012)."""
        return self.State(self.state).icon

    def clean(self):
        if self.owner_node_id and self.owner_node.cluster_id != self.cluster_id:
            raise ValidationError({"owner_node": "The owner node must be a node of this cluster."})


class PreferredOwner(models.Model):
    """One entry of a role's ordered Preferred Owners list."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="preferred_owner_entries")
    node = models.ForeignKey(Node, on_delete=models.CASCADE)
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["role", "node"], name="preferredowner_unique"),
            models.UniqueConstraint(fields=["role", "rank"], name="preferredowner_unique_rank"),
        ]


class Resource(models.Model):
    """A cluster resource inside a role, with its dependencies."""

    class Type(models.TextChoices):
        VIRTUAL_MACHINE = "Virtual Machine", "Virtual Machine"
        VM_CONFIGURATION = "Virtual Machine Configuration", "Virtual Machine Configuration"
        PHYSICAL_DISK = "Physical Disk", "Physical Disk"
        IP_ADDRESS = "IP Address", "IP Address"
        NETWORK_NAME = "Network Name", "Network Name"
        GENERIC_SERVICE = "Generic Service", "Generic Service"
        DTC = "Distributed Transaction Coordinator", "Distributed Transaction Coordinator"
        REPLICA_BROKER = "Virtual Machine Replication Broker", "Virtual Machine Replication Broker"

    class State(looks.PresentedTextChoices):
        ONLINE = "Online", "Online", looks.UP
        OFFLINE = "Offline", "Offline", looks.DOWN
        FAILED = "Failed", "Failed", looks.FAILED
        ONLINE_PENDING = "Online Pending", "Online Pending", looks.PENDING
        OFFLINE_PENDING = "Offline Pending", "Offline Pending", looks.PENDING

    class RestartAction(models.IntegerChoices):
        NO_RESTART = 0, "If resource fails, do not restart"
        RESTART_NO_NOTIFY = 1, "Restart, do not fail over the role"
        RESTART_NOTIFY = 2, "If resource fails, attempt restart on current node"

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField(max_length=160)
    type = models.CharField(max_length=40, choices=Type.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OFFLINE)
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, related_name="dependents", blank=True
    )
    cluster_disk = models.ForeignKey(
        "ClusterDisk", null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    virtual_machine = models.ForeignKey(
        "VirtualMachine", null=True, blank=True, on_delete=models.CASCADE, related_name="resources"
    )
    restart_action = models.PositiveSmallIntegerField(
        choices=RestartAction.choices, default=RestartAction.RESTART_NOTIFY
    )
    restart_period_ms = models.PositiveIntegerField(default=900_000)
    restart_threshold = models.PositiveSmallIntegerField(default=1)
    restart_delay_ms = models.PositiveIntegerField(default=500)
    retry_period_on_failure_ms = models.PositiveIntegerField(default=3_600_000)
    pending_timeout_ms = models.PositiveIntegerField(default=180_000)

    class Meta:
        ordering = ["role__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["role", "name"], name="resource_unique_name_per_role")
        ]

    def __str__(self):
        return self.name
