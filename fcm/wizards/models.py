import uuid

from django.conf import settings
from django.db import models

from fcm.inventory.models import looks
from fcm.sim import validation


class WizardDraft(models.Model):
    """One run of a wizard: its step and what was typed, keyed by an id in the URL.

    State lives here, not in the session, so a reload or a second tab never
    loses or mixes two runs of the same wizard.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lab = models.ForeignKey("inventory.Lab", on_delete=models.CASCADE, related_name="wizard_drafts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    cluster = models.ForeignKey("inventory.Cluster", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    step = models.CharField(max_length=32)
    data = models.JSONField(default=dict, blank=True)
    operation = models.OneToOneField("engine.Operation", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="wizard_draft")
    cancelled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]


class PhaseStatus(looks.PresentedTextChoices):
    """A step of a wizard's operation, as its progress page lists it."""

    COMPLETED = "Completed", "Completed", looks.UP
    IN_PROGRESS = "In progress", "In progress", looks.PENDING
    CANCELED = "Canceled", "Canceled", looks.BARE
    PENDING = "Pending", "Pending", looks.BARE


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
