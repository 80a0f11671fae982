from django.core.exceptions import ValidationError
from django.db import models

from fcm.sim import workload

from fcm.inventory import looks
from .servers import Disk, Node
from fcm.inventory import ranges


class MigrationState(models.IntegerChoices):
    """MigrationState of the cluster's Virtual Machine resource (product API)."""

    NO_MIGRATION = 0, "No Migration"
    SETUP = 1, "Setup"
    DATA_TRANSFER = 2, "Data Transfer"
    MOVE = 3, "Move"
    CANCELED = 4, "Canceled"
    FAILURE = 5, "Failure"


class VirtualMachine(models.Model):
    """A Hyper-V virtual machine on a host; clustered when it has a role."""

    class State(looks.PresentedTextChoices):
        OFF = "Off", "Off", looks.OFF
        STARTING = "Starting", "Starting", looks.PENDING
        RUNNING = "Running", "Running", looks.UP
        SAVING = "Saving", "Saving", looks.PENDING
        SAVED = "Saved", "Saved", looks.OFF
        STOPPING = "Stopping", "Stopping", looks.PENDING
        PAUSING = "Pausing", "Pausing", looks.PENDING
        PAUSED = "Paused", "Paused", looks.PAUSED
        RESUMING = "Resuming", "Resuming", looks.PENDING

    lab = models.ForeignKey("Lab", on_delete=models.CASCADE, related_name="virtual_machines")
    name = models.CharField(max_length=100)
    host_node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="virtual_machines")
    role = models.OneToOneField(
        "Role", null=True, blank=True, on_delete=models.SET_NULL, related_name="virtual_machine"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OFF)
    generation = models.PositiveSmallIntegerField(default=1, choices=[(1, "Generation 1"), (2, "Generation 2")])
    memory_mb = models.PositiveIntegerField(default=2048, validators=ranges.MEMORY_MB, help_text="Startup memory")
    dynamic_memory = models.BooleanField(default=False)
    vcpus = models.PositiveSmallIntegerField(default=1, validators=ranges.VCPUS)
    guest_os = models.CharField(max_length=120, default="Windows Server 2008 R2 Enterprise")
    guest_install_option = models.CharField(
        max_length=4, choices=Node.InstallOption.choices, default=Node.InstallOption.FULL
    )
    configuration_path = models.CharField(max_length=260)
    configuration_disk = models.ForeignKey(
        Disk, null=True, blank=True, on_delete=models.SET_NULL, related_name="vm_configurations",
        help_text="LUN holding the configuration; empty = the host's local disk.",
    )
    virtual_switch = models.CharField(max_length=80, blank=True)
    workload = models.CharField(max_length=16, choices=workload.CHOICES, default=workload.DEFAULT)
    #: Its configuration version (Update-VMVersion raises it); blank: what its host's version creates.
    configuration_version = models.CharField(max_length=5, blank=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text="Sim time it last booted")
    migration_state = models.PositiveSmallIntegerField(
        choices=MigrationState.choices, default=MigrationState.NO_MIGRATION,
        help_text="The Virtual Machine resource's MigrationState property")

    class Meta:
        ordering = ["name"]
        constraints = [
            # Names are per host (a replica keeps its primary's name on the Replica server).
            models.UniqueConstraint(fields=["host_node", "name"], name="vm_unique_name_per_host")
        ]
        verbose_name = "virtual machine"

    def __str__(self):
        return self.name

    RUNNING_STATES = (State.RUNNING, State.STARTING, State.SAVING, State.PAUSING, State.PAUSED, State.RESUMING,
                      State.STOPPING)

    @property
    def version(self):
        """The configuration version Hyper-V Manager shows (2016+), e.g. "8.0"."""
        return self.configuration_version or self.host_node.version.vm_configuration_version

    @property
    def cpu_usage(self):
        """CPU Usage: its workload's share of the host's processors while it runs, else nothing."""
        return f"{workload.get(self.workload).cpu_percent} %" if self.state == self.State.RUNNING else ""

    @property
    def assigned_memory(self):
        """Assigned Memory: its memory while it runs or is paused (a saved or off VM holds none)."""
        return self.memory_mb if self.is_running else None

    @property
    def is_running(self):
        return self.state in self.RUNNING_STATES

    @property
    def workload_profile(self):
        return workload.get(self.workload)

    def clean(self):
        if self.host_node_id and self.lab_id and self.host_node.lab_id != self.lab_id:
            raise ValidationError({"host_node": "The host belongs to another lab."})


class VirtualHardDisk(models.Model):
    class Format(models.TextChoices):
        VHD = "VHD", "VHD"
        VHDX = "VHDX", "VHDX"

    class Kind(models.TextChoices):
        FIXED = "Fixed", "Fixed size"
        DYNAMIC = "Dynamic", "Dynamically expanding"
        DIFFERENCING = "Differencing", "Differencing"

    virtual_machine = models.ForeignKey(
        VirtualMachine, on_delete=models.CASCADE, related_name="hard_disks"
    )
    path = models.CharField(max_length=260)
    disk = models.ForeignKey(
        Disk, null=True, blank=True, on_delete=models.SET_NULL, related_name="vhds",
        help_text="LUN holding the file; empty = the host's local disk.",
    )
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.VHD)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.FIXED)
    max_size_bytes = models.PositiveBigIntegerField(validators=ranges.DISK_BYTES)
    file_size_bytes = models.PositiveBigIntegerField(validators=ranges.USED_BYTES)
    controller = models.CharField(max_length=20, default="IDE 0:0")

    class Meta:
        ordering = ["virtual_machine__name", "controller"]
        constraints = [
            models.UniqueConstraint(fields=["virtual_machine", "path"], name="vhd_unique_path_per_vm")
        ]
        verbose_name = "virtual hard disk"

    def __str__(self):
        return self.path
