"""Training sessions: a trainer, a scenario, a join code, and one lab per trainee."""
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from fcm.sim.objectives import by_variable_name

#: Join codes avoid letters and digits that read alike on a projector (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#: 31 symbols, 8 of them: 31**8 (about 8.5e11) codes, so that the limit on wrong codes per address can
#: let a whole class behind one NAT address mistype (fcm.training.views.JOIN_GUESSES).
CODE_LENGTH = 8
#: Sessions started before codes had 8 characters keep their 6 until they end (12 hours at most).
OLD_CODE_LENGTH = 6
TRAINERS_GROUP = "Trainers"
#: A class's size unless the trainer says otherwise, and the most one session may take.
DEFAULT_CLASS_SIZE = 40
MAX_CLASS_SIZE = 500


def new_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class SessionQuerySet(models.QuerySet):
    def open(self):
        """Sessions a trainee may still join: not ended, not expired."""
        return self.filter(ended_at__isnull=True, expires_at__gt=timezone.now())


class TrainingSession(models.Model):
    """One class: trainees join with its code and each gets a lab cloned from the scenario."""

    LIFETIME = timedelta(hours=12)

    trainer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_sessions")
    scenario = models.CharField(max_length=80, help_text="Exercise file name in scenarios/exercises/")
    #: The exercise as it was when the session started: editing the file later changes no running class.
    spec = models.JSONField()
    title = models.CharField(max_length=200)
    code = models.CharField(max_length=CODE_LENGTH, unique=True, default=new_code)
    demo_lab = models.OneToOneField("inventory.Lab", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="demo_of", help_text="The trainer's own lab, shown in follow mode")
    #: A word the trainer chose so that this class draws the same values as every other class started
    #: with it (its 1st trainee the 1st's values, ...): a class repeated, or an exercise replayed in a test.
    values_seed = models.CharField(max_length=40, blank=True)
    class_size = models.PositiveSmallIntegerField(
        default=DEFAULT_CLASS_SIZE, validators=[MinValueValidator(1), MaxValueValidator(MAX_CLASS_SIZE)],
        help_text=f"How many trainees may join (1 to {MAX_CLASS_SIZE})")
    joining_locked = models.BooleanField(default=False, help_text="The trainer has locked joining")
    #: Join attempts refused for this class (full, locked, or a code one or two characters off its own);
    #: the last few are kept as JoinRefusal rows.
    refused_joins = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, help_text="Last broadcast to the class")
    message_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(
            condition=models.Q(class_size__gte=1, class_size__lte=MAX_CLASS_SIZE), name="class_size_in_range")]

    def __str__(self):
        return f"{self.title} ({self.code})"

    def save(self, *args, **kwargs):
        if self.expires_at is None:
            self.expires_at = self.created_at + self.LIFETIME
        super().save(*args, **kwargs)

    @property
    def is_open(self):
        return self.ended_at is None and self.expires_at > timezone.now()

    @property
    def objectives(self):
        return self.spec.get("objectives", [])

    @property
    def objective_texts(self):
        """Objectives as the trainer reads them: each trainee's own names stand as ‹variable›."""
        return [by_variable_name(o["text"]) for o in self.objectives]

    @property
    def solution(self):
        """The exercise's steps (none for an exercise stored before solutions were written)."""
        steps = self.spec.get("solution")
        return steps if isinstance(steps, list) else []

    @property
    def show_reasons(self):
        """Whether a trainee's panel says why an objective is not met yet (`[exercise] show_reasons`)."""
        return bool(self.spec.get("show_reasons", False))


class Trainee(models.Model):
    """A person in a session: a passwordless account, their lab, their results."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="trainees")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trainee")
    display_name = models.CharField(max_length=40)
    lab = models.OneToOneField("inventory.Lab", null=True, on_delete=models.SET_NULL, related_name="trainee")
    variables = models.JSONField(default=dict)
    #: Events logged before this id came with the lab file (its history), not from the trainee.
    first_event_id = models.BigIntegerField(default=0)
    #: {objective id: wall time (ISO) it was first met}; an objective stays met once achieved.
    met = models.JSONField(default=dict)
    #: {objective id: why not yet} for the trainer.
    details = models.JSONField(default=dict)
    hints_used = models.JSONField(default=list, help_text="Wall times (ISO) each hint was revealed")
    #: "Show me the next step": [{"objective": id, "at": wall time (ISO)}], in the order revealed.
    steps_shown = models.JSONField(default=list, blank=True,
                                   help_text="Objectives whose solution steps were revealed, and when")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_action = models.CharField(max_length=200, blank=True)
    last_action_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["display_name", "pk"]
        constraints = [models.UniqueConstraint(models.functions.Lower("display_name"), "session",
                                               name="trainee_unique_name_per_session")]

    def __str__(self):
        return self.display_name

    @property
    def progress(self):
        total = len(self.session.objectives)
        return round(100 * len(self.met) / total) if total else 0

    @property
    def hints_taken(self):
        """Every help asked for: the written hints revealed and each "Show me the next step"."""
        return len(self.hints_used) + len(self.steps_shown)


class TimelineFrame(models.Model):
    """The console as it was after one change, for the replay of a finished exercise."""

    trainee = models.ForeignKey(Trainee, on_delete=models.CASCADE, related_name="frames")
    at = models.DateTimeField(default=timezone.now)
    sim_time = models.DateTimeField()
    #: {"roles": [[name, state, owner], ...], "nodes": [[name, state], ...], "met": [ids]}
    state = models.JSONField()
    last_event_id = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["at", "pk"]


class AuditEntry(models.Model):
    """What a trainer did to a class, when, from where (kept when the session is deleted)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    session = models.ForeignKey(TrainingSession, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="audit")
    action = models.CharField(max_length=40)
    detail = models.TextField(blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action}"

    @classmethod
    def record(cls, request, action, session=None, detail=""):
        return cls.objects.create(actor=request.user if request.user.is_authenticated else None, session=session,
                                  action=action, detail=detail[:2000], address=request.META.get("REMOTE_ADDR"))


class JoinRefusal(models.Model):
    """A join attempt the class refused, for its trainer: when, from which address, why.

    Kept in the database rather than the cache: the join page and the dashboard may be served by
    different processes (the embedded cache is per process), the refusal is written in the transaction
    that read the session's seats anyway, and the rows stay bounded (the last `KEPT` per session, with
    the total in `TrainingSession.refused_joins`)."""

    KEPT = 10

    class Reason(models.TextChoices):
        FULL = "full", "Class full"
        LOCKED = "locked", "Joining locked"
        WRONG_CODE = "wrong-code", "Wrong code"

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="join_refusals")
    at = models.DateTimeField(default=timezone.now)
    address = models.GenericIPAddressField(null=True, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    #: What was typed when it matters (a wrong code), for the trainer to spot a misread character.
    detail = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%H:%M:%S} {self.address} {self.get_reason_display()}"
