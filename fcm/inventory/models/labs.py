import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from fcm.inventory import ranges


class LabQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Labs a user may open: their own, those shared with them, their trainees' labs (a trainer
        watching), the demo lab of the session they are in (follow mode); all for superusers.
        Only `operable_by` labs take actions (see Lab.may_operate)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(Q(owner=user) | Q(members=user) | Q(trainee__session__trainer=user)
                           | Q(demo_of__trainees__user=user)).distinct()

    def operable_by(self, user):
        """Labs a user may change: their own and those shared with them; for superusers every lab but
        a trainee's exercise lab, which only its trainee changes (the trainer acts through the dashboard)."""
        if not user.is_authenticated:
            return self.none()
        mine = Q(owner=user) | Q(members=user)
        if user.is_superuser:
            return self.filter(mine | Q(trainee__isnull=True)).distinct()
        return self.filter(mine).distinct()


class Lab(models.Model):
    """One simulated datacenter, with its own clock.

    Simulated time runs as `sim_now = sim_anchor + (wall_now - wall_anchor) * speed`
    (speed 0 = paused). Every simulated timestamp in the lab is a sim time.
    """

    name = models.CharField(max_length=80, unique=True)
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    source = models.CharField(
        max_length=120, blank=True, help_text="Lab file it was loaded from, or 'genlab'."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_labs"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="shared_labs",
        help_text="Other users who may open this lab.",
    )
    sim_anchor = models.DateTimeField(default=timezone.now)
    wall_anchor = models.DateTimeField(default=timezone.now)
    #: Wall time of the last push to the lab's consoles: a console whose socket opens after
    #: its page was rendered compares the two and lists itself again if it missed a push.
    changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    speed = models.FloatField(default=1.0, validators=ranges.CLOCK_SPEED,
                              help_text="Clock speed: 0 pauses, 1 is real time, at most 60.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LabQuerySet.as_manager()

    def may_operate(self, user):
        """Whether the user acts on this lab or only watches it (a trainer over a trainee's shoulder,
        a class following the trainer's demo)."""
        return Lab.objects.operable_by(user).filter(pk=self.pk).exists()

    def may_simulate(self, user):
        """Causing failures (Simulate ...) is the lab owner's (and an administrator's), not a visitor's."""
        return user.is_authenticated and (user.is_superuser or user.pk == self.owner_id)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def sim_now(self, wall_now=None):
        """The lab's simulated time now; a clock stored outside its range is refused by name.

        The validators keep every form, lab file and dump within 0-60 x; a value written to the
        database directly would otherwise overflow here (or run time backwards) in every view and
        engine pass that reads the clock. Naming it lets the console and the engine say what is
        wrong with this lab and how to repair it, instead of failing with an arithmetic error."""
        if not ranges.clock_speed_in_range(self.speed):
            raise LabClockError(self)
        wall_now = wall_now or timezone.now()
        return self.sim_anchor + (wall_now - self.wall_anchor) * self.speed


class LabClockError(ValueError):
    """A lab whose stored clock speed is outside the range a lab may run at (see Lab.sim_now)."""

    def __init__(self, lab):
        self.lab_id = lab.pk
        super().__init__(
            f"The clock of lab {lab.name} is set to {lab.speed:g} x, outside 0-{ranges.MAX_CLOCK_SPEED:g} x. "
            "An administrator can set its speed in Lab administration.")


class LoginToken(models.Model):
    """A one-time sign-in link (`make run` prints one; no default password).

    Only a hash of the token is stored, so the database alone cannot sign in.
    """

    LIFETIME = timedelta(hours=12)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def _digest(token):
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user):
        """Make a token for `user`; returns the clear token (shown once)."""
        token = secrets.token_urlsafe(32)
        cls.objects.create(user=user, digest=cls._digest(token))
        return token

    @classmethod
    def redeem(cls, token):
        """The user for an unused, unexpired token, marking it used; else None.

        The update is conditional so two requests with one link cannot both win.
        """
        now = timezone.now()
        digest = cls._digest(token)
        claimed = cls.objects.filter(
            digest=digest, used_at__isnull=True, created_at__gte=now - cls.LIFETIME
        ).update(used_at=now)
        if not claimed:
            return None
        return cls.objects.select_related("user").get(digest=digest).user
