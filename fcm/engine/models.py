"""Durable Operations: every move is a row with its plan and its progress.

The plan (phases with offsets in seconds, computed by fcm.sim when the move
starts) and the index of the last phase applied are in the database, so a
killed process loses nothing: the runner carries on from what the rows say.
Percent completed is derived from the plan and the lab's clock, never
written per tick.
"""
import math
from datetime import timedelta

from django.conf import settings
from django.db import models

from fcm.inventory import looks
from fcm.sim import validation

from .phases import with_keys


class Operation(models.Model):
    class Kind(models.TextChoices):
        LIVE_MIGRATION = "live-migration", "Live Migration"
        QUICK_MIGRATION = "quick-migration", "Quick Migration"
        STORAGE_MIGRATION = "storage-migration", "Virtual Machine Storage Migration"
        VALIDATION = "validation", "Validate a Configuration"
        CREATE_CLUSTER = "create-cluster", "Create Cluster"
        ADD_NODE = "add-node", "Add Node"
        CONFIGURE_QUORUM = "configure-quorum", "Configure Cluster Quorum Settings"
        CONFIGURE_ROLE = "configure-role", "Configure High Availability"
        VM_POWER = "vm-power", "Virtual Machine State Change"
        NEW_VM = "new-vm", "New Virtual Machine"
        NODE_FAILURE = "node-failure", "Node Failure"
        NODE_RESTART = "node-restart", "Node Restart"
        INITIAL_REPLICATION = "initial-replication", "Initial Replication"
        PLANNED_FAILOVER = "planned-failover", "Planned Failover"
        #: Move Available Storage, or a Cluster Shared Volume's coordinator (Move-ClusterGroup / -SharedVolume).
        MOVE_STORAGE = "move-storage", "Move Cluster Storage"
        #: Hyper-V Manager's Move: a VM in no cluster to another host (shared-nothing live migration).
        VM_MOVE = "vm-move", "Virtual Machine Move"
        #: Hyper-V Manager's Move > "Move the virtual machine's storage" for a VM in no cluster.
        VM_STORAGE_MOVE = "vm-storage-move", "Virtual Machine Storage Move"
        #: Hyper-V Manager's Checkpoint (Snapshot before 2012 R2), Apply and the merge a deletion causes.
        CHECKPOINT = "checkpoint", "Create Checkpoint"
        CHECKPOINT_APPLY = "checkpoint-apply", "Apply Checkpoint"
        CHECKPOINT_MERGE = "checkpoint-merge", "Merge Checkpoint Disks"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (State.QUEUED, State.RUNNING)

    lab = models.ForeignKey("inventory.Lab", on_delete=models.CASCADE, related_name="operations")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    role = models.ForeignKey("inventory.Role", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="operations")
    virtual_machine = models.ForeignKey("inventory.VirtualMachine", null=True, blank=True,
                                        on_delete=models.CASCADE, related_name="operations")
    cluster = models.ForeignKey("inventory.Cluster", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    source_node = models.ForeignKey("inventory.Node", null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    target_node = models.ForeignKey("inventory.Node", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    target_disk = models.ForeignKey("inventory.ClusterDisk", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    #: What the VM was before the move (its state decides what quick migration restores).
    was_running = models.BooleanField(default=True)
    plan = models.JSONField(default=dict, blank=True)
    queued_at = models.DateTimeField(help_text="Sim time")
    started_at = models.DateTimeField(null=True, blank=True, help_text="Sim time")
    finished_at = models.DateTimeField(null=True, blank=True, help_text="Sim time")
    #: How many phases have been entered; the runner claims a step by
    #: moving it forward with a conditional UPDATE, so two runners never
    #: apply the same transition twice.
    phase_index = models.SmallIntegerField(default=0)
    next_due_at = models.DateTimeField(null=True, blank=True, help_text="Sim time of the next transition")
    message = models.TextField(blank=True)
    #: What the operation produced (created cluster id, report id...).
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["queued_at", "pk"]
        indexes = [
            models.Index(fields=["lab", "state", "next_due_at"]),
            models.Index(fields=["role", "state"]),
        ]
        constraints = [
            # One move at a time per VM: of two users moving it at once, one
            # wins and the other is told it is already moving.
            models.UniqueConstraint(fields=["virtual_machine"], condition=models.Q(state__in=["queued", "running"]),
                                    name="one_active_operation_per_vm"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.virtual_machine} ({self.state})"

    @property
    def is_active(self):
        return self.state in self.ACTIVE

    @property
    def phases(self):
        """The plan's phases, each with its key (a plan written before keys existed gets them here)."""
        return with_keys(self.kind, self.plan).get("phases", []) if self.plan else []

    @property
    def total_s(self):
        return self.plan.get("total_s", 0.0)

    @property
    def ends_at(self):
        return self.started_at + timedelta(seconds=self.total_s) if self.started_at else None

    def elapsed_s(self, sim_now):
        if not self.started_at:
            return 0.0
        if self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return max((sim_now - self.started_at).total_seconds(), 0.0)

    def current_phase(self, sim_now):
        if self.phase_index <= 0 or not self.phases:
            return None
        return self.phases[min(self.phase_index, len(self.phases)) - 1]


class Outbox(models.Model):
    """Changes waiting to be pushed to open consoles (a transactional outbox).

    An engine command writes a row in the same transaction as the change;
    the runner drains the rows, renders each changed thing once and sends
    one message per lab. A change is never pushed before it is committed,
    and a restart loses no push.
    """

    class Kind(models.TextChoices):
        ROLE = "role", "Role"
        NODE = "node", "Node"
        #: A virtual machine outside any cluster (its state in Servers > a server > Virtual Machines).
        VM = "vm", "Virtual machine"
        OPERATION = "operation", "Operation"
        EVENT = "event", "Event"
        CLOCK = "clock", "Clock"
        DISK = "disk", "Cluster disk"
        NETWORK = "network", "Cluster network"
        CLUSTER = "cluster", "Cluster"
        REPLICATION = "replication", "Replication figures"
        #: A trainee's lab changed in a way only the exercise panel shows (hint, message): grade and push it.
        EXERCISE = "exercise", "Exercise"
        #: A trainee's lab was replaced by a fresh copy (object_id: the old lab, whose consoles are told).
        LAB_REPLACED = "lab-replaced", "Lab replaced"

    lab = models.ForeignKey("inventory.Lab", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    object_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["lab"])]


class ValidationReport(models.Model):
    """A Failover Cluster Validation Report, stored with the lab."""

    class Outcome(looks.PresentedTextChoices):
        """The report's first sentence; blank while the tests run."""

        SUCCESS = "success", "Success", looks.UP
        WARNINGS = "warnings", "Warnings", looks.WARNING
        FAILED = "failed", "Failed", looks.FAILED
        CANCELED = "canceled", "Canceled", looks.WARNING

    class TestStatus(looks.PresentedTextChoices):
        """A test's result (fcm.sim.validation), and Running/Pending while the wizard runs them."""

        SUCCESS = validation.SUCCESS, "Success", looks.UP
        WARNING = validation.WARNING, "Warning", looks.WARNING
        FAILED = validation.FAILED, "Failed", looks.FAILED
        NOT_APPLICABLE = validation.NA, "Not Applicable", looks.BARE
        CANCELED = validation.CANCELED, "Canceled", looks.BARE
        RUNNING = "Running", "Running", looks.PENDING
        PENDING = "Pending", "Pending", looks.BARE

    lab = models.ForeignKey("inventory.Lab", on_delete=models.CASCADE, related_name="validation_reports")
    cluster = models.ForeignKey("inventory.Cluster", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="validation_reports")
    operation = models.OneToOneField("engine.Operation", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="validation_report")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    nodes = models.JSONField(default=list)
    version_order = models.PositiveSmallIntegerField(default=3)
    #: [{category, name, description, status, lines, table}] in report order.
    results = models.JSONField(default=list)
    started_at = models.DateTimeField(help_text="Sim time")
    completed_at = models.DateTimeField(null=True, blank=True, help_text="Sim time")
    #: Outcomes a cluster may be created from without the validation warning.
    PASSING = (Outcome.SUCCESS, Outcome.WARNINGS)

    #: Empty while running.
    outcome = models.CharField(max_length=10, blank=True, choices=Outcome.choices)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"Validation Report {self.started_at:%Y.%m.%d At %H.%M.%S}"

    @property
    def file_name(self):
        return f"Validation Report {self.started_at:%Y.%m.%d At %H.%M.%S}.htm"


class EngineHeartbeat(models.Model):
    """An engine process that is alive: `manage.py runengine` renews its row every pass (fcm.engine.leases).

    Engines count the rows still fresh to know how many share the labs, so that none takes more than its
    share; a killed engine's row goes stale when its leases do."""

    engine_id = models.CharField(max_length=120, primary_key=True)
    seen_until = models.DateTimeField(help_text="Wall time")


class LabLease(models.Model):
    """Which engine works a lab until when (fcm.engine.leases): one engine at a time applies a lab's
    transitions and takes its Outbox rows; a lease not renewed expires and another engine takes it."""

    lab = models.OneToOneField("inventory.Lab", on_delete=models.CASCADE, primary_key=True, related_name="+")
    #: Blank: given up (or never held).
    engine_id = models.CharField(max_length=120, blank=True, db_index=True)
    expires_at = models.DateTimeField(help_text="Wall time")


class LabHealth(models.Model):
    """A lab whose engine pass fails: what failed, since when, how often, and when it is tried again.

    One lab's fault must not stall the others: the runner catches it for that lab alone, writes this
    row and skips the lab until `retry_at` (back-off doubling per failure, fcm.engine.health). The
    row is deleted when the lab passes again; while it exists the lab's consoles and its trainer's
    dashboard show the notice. Times are wall times (the lab's own clock may be what fails).
    """

    class Stage(models.TextChoices):
        PASS = "pass", "advancing the lab"
        RENDER = "render", "updating the lab's consoles"

    lab = models.OneToOneField("inventory.Lab", primary_key=True, on_delete=models.CASCADE, related_name="health")
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.PASS)
    #: The exception's class and its first line, as logged.
    error = models.CharField(max_length=100)
    message = models.CharField(max_length=300, blank=True)
    failures = models.PositiveIntegerField(default=1)
    first_failed_at = models.DateTimeField()
    failed_at = models.DateTimeField()
    retry_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"lab {self.lab_id}: {self.error} ({self.failures} failures)"

    def retry_in_s(self, now):
        """Whole seconds until the next try (0 when it is due)."""
        return max(0, math.ceil((self.retry_at - now).total_seconds()))

    def notice(self, now):
        """The sentence the lab's consoles and the trainer's dashboard show (escaped where shown)."""
        what = f"{self.error}: {self.message}" if self.message else self.error
        done = "advance this lab" if self.stage == self.Stage.PASS else "update this lab's consoles"
        tries = f" (failed {self.failures} times so far)" if self.failures > 1 else ""
        return (f"The simulator could not {done}: {what.rstrip('.')}. It retries in {self.retry_in_s(now)} s"
                f"{tries}; the other labs keep running.")
