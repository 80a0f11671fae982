"""Each lab's clock: the speeds a console offers and the one writer of a speed change.

`Lab.sim_now()` reads the clock; changing its speed re-anchors it so that
simulated time stays continuous, and tells every open console (Outbox).
"""
from django.utils import timezone

from .models import Outbox

#: The clock speeds the status bar offers (x1 is real time; 0 pauses).
CLOCK_SPEEDS = (1, 2, 5, 10, 60)


def set_speed(lab, speed):
    """Pause (0) or run the lab's clock at `speed`; simulated time stays continuous (re-anchored now).
    The caller holds the lab row (select_for_update) when two people may change it at once."""
    now = timezone.now()
    lab.sim_anchor, lab.wall_anchor, lab.speed = lab.sim_now(now), now, speed
    lab.save(update_fields=["sim_anchor", "wall_anchor", "speed"])
    Outbox.objects.create(lab_id=lab.pk, kind=Outbox.Kind.CLOCK)
