from django.core.exceptions import ValidationError
from django.db import models

from fcm.sim import checkpoints as checkpoint_rules
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
    configuration_share = models.ForeignKey(
        "FileShare", null=True, blank=True, on_delete=models.RESTRICT, related_name="vm_configurations",
        help_text="SMB 3.0 share holding the configuration (instead of a LUN or a local disk).")
    virtual_switch = models.CharField(max_length=80, blank=True)
    workload = models.CharField(max_length=16, choices=workload.CHOICES, default=workload.DEFAULT)
    #: Its configuration version (Update-VMVersion raises it); blank: what its host's version creates.
    configuration_version = models.CharField(max_length=5, blank=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text="Sim time it last booted")
    migration_state = models.PositiveSmallIntegerField(
        choices=MigrationState.choices, default=MigrationState.NO_MIGRATION,
        help_text="The Virtual Machine resource's MigrationState property")
    #: Settings > Checkpoints (2016 onwards); blank: the version's default (Production).
    checkpoint_type = models.CharField(max_length=14, blank=True, choices=[(t, t) for t in checkpoint_rules.TYPES])
    #: The checkpoint the running state grew from ("Now" sits under it in the Checkpoints tree).
    current_checkpoint = models.ForeignKey("Checkpoint", null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="+")

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

    @property
    def effective_checkpoint_type(self):
        return self.checkpoint_type or checkpoint_rules.default_type(self.host_node.version.order)

    def storage_bytes(self):
        """What its virtual hard disks take on storage: the files it uses and those its checkpoints froze
        (a move or storage migration copies them all)."""
        drives = self.hard_disks.aggregate(b=models.Sum("file_size_bytes"))["b"] or 0
        frozen = CheckpointFile.objects.filter(hard_disk__virtual_machine=self) \
            .aggregate(b=models.Sum("file_size_bytes"))["b"] or 0
        return drives + frozen

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
    share = models.ForeignKey(
        "FileShare", null=True, blank=True, on_delete=models.RESTRICT, related_name="hard_disks",
        help_text="SMB 3.0 share holding the file (instead of a LUN or a local disk).")
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.VHD)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.FIXED)
    max_size_bytes = models.PositiveBigIntegerField(validators=ranges.DISK_BYTES)
    file_size_bytes = models.PositiveBigIntegerField(validators=ranges.USED_BYTES)
    controller = models.CharField(max_length=20, default="IDE 0:0")
    #: The file its differencing disk (the `path`, .avhdx) grows on, frozen by a checkpoint; None: no chain.
    parent_file = models.ForeignKey("CheckpointFile", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="active_children")
    #: Sim time its differencing disk began taking the guest's writes (its size grows from there).
    written_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["virtual_machine__name", "controller"]
        constraints = [
            models.UniqueConstraint(fields=["virtual_machine", "path"], name="vhd_unique_path_per_vm")
        ]
        verbose_name = "virtual hard disk"

    def __str__(self):
        return self.path


class Checkpoint(models.Model):
    """A checkpoint of a virtual machine (a snapshot before Windows Server 2012 R2): the disks it froze, and
    its memory when it is a standard checkpoint of a running VM."""

    class Type(models.TextChoices):
        STANDARD = checkpoint_rules.STANDARD, "Standard"
        PRODUCTION = checkpoint_rules.PRODUCTION, "Production"

    virtual_machine = models.ForeignKey(VirtualMachine, on_delete=models.CASCADE, related_name="checkpoints")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    name = models.CharField(max_length=checkpoint_rules.MAX_NAME)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.STANDARD)
    taken_at = models.DateTimeField(help_text="Sim time")
    #: The VM's state when it was taken (Running, Saved, Off...).
    vm_state = models.CharField(max_length=10, choices=VirtualMachine.State.choices)
    saved_memory = models.BooleanField(default=False, help_text="It holds the VM's memory (a saved state)")
    memory_mb = models.PositiveIntegerField(default=0)
    #: How long the guest had been up when it was taken (a VM brought back from its memory goes on from there).
    uptime_s = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["taken_at", "pk"]
        verbose_name = "checkpoint"

    def __str__(self):
        return self.name

    def clean(self):
        problem = checkpoint_rules.name_problem(self.name or "")
        if problem:
            raise ValidationError({"name": problem})
        if self.parent_id and self.parent.virtual_machine_id != self.virtual_machine_id:
            raise ValidationError({"parent": "The parent checkpoint belongs to another virtual machine."})


class CheckpointFile(models.Model):
    """A virtual hard disk file a checkpoint froze: the base disk, or a differencing disk under it. The drive
    (VirtualHardDisk) writes to a differencing disk of its own whose parent is one of these."""

    hard_disk = models.ForeignKey(VirtualHardDisk, on_delete=models.CASCADE, related_name="chain")
    path = models.CharField(max_length=260)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    #: The checkpoint it holds; None once that checkpoint is deleted and until the file is merged.
    checkpoint = models.ForeignKey(Checkpoint, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="files")
    kind = models.CharField(max_length=12, choices=VirtualHardDisk.Kind.choices,
                            default=VirtualHardDisk.Kind.DIFFERENCING)
    file_size_bytes = models.PositiveBigIntegerField(validators=ranges.USED_BYTES)

    class Meta:
        ordering = ["hard_disk", "pk"]
        verbose_name = "checkpoint file"

    def __str__(self):
        return self.path
