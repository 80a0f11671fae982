"""A lab's engine pass that fails is that lab's fault alone: recorded, retried with back-off, cleared.

Every lab of every class shares one engine. Before this, one exception (a clock
set to an absurd speed, a row a dump left inconsistent) failed the whole tick,
and no lab advanced until someone repaired the one. Now the runner catches it for
that lab, this module records it (`LabHealth`: what, since when, how often, when
next) and the runner leaves the lab out of its passes until the retry time, which
doubles with each failure so a lab that keeps failing costs the others nothing.
"""
import logging
from datetime import timedelta

from django.db import IntegrityError, transaction

from .models import LabHealth

log = logging.getLogger("fcm.engine")

#: The first retry comes after a second (a passing fault: a lock, a race with a user's change).
FIRST_RETRY_S = 1
#: Then it doubles, up to a minute: a lab broken for good is tried once a minute, and recovers
#: within a minute of being repaired.
MAX_RETRY_S = 60
#: What of the exception's text is kept and shown (the full traceback is in the log).
MESSAGE_CHARS = 300


def retry_delay_s(failures):
    """Seconds before the next try after `failures` failures in a row: 1, 2, 4 ... capped at a minute."""
    return min(FIRST_RETRY_S * 2 ** max(failures - 1, 0), MAX_RETRY_S)


def failing():
    """{lab id: LabHealth} of every lab whose last pass failed (one query a tick)."""
    return {h.lab_id: h for h in LabHealth.objects.all()}


def record_failure(lab_id, stage, exc, now, known=None):
    """Write that `lab_id` failed at `stage` with `exc` at wall time `now`; returns the record.

    `known` is the record read at the start of the tick, if any: its count goes on."""
    log.error("lab %s: the engine's pass failed while %s (%s); retrying it later", lab_id,
              LabHealth.Stage(stage).label, type(exc).__name__, exc_info=exc)
    failures = (known.failures + 1) if known is not None else 1
    message = (str(exc).strip().splitlines() or [""])[0][:MESSAGE_CHARS]
    fields = {"stage": stage, "error": type(exc).__name__[:100], "message": message, "failures": failures,
              "failed_at": now, "retry_at": now + timedelta(seconds=retry_delay_s(failures))}
    try:
        with transaction.atomic():
            record, _ = LabHealth.objects.update_or_create(
                lab_id=lab_id, defaults=fields, create_defaults={**fields, "first_failed_at": now})
    except IntegrityError:  # the lab was deleted meanwhile: nothing is left to retry
        return None
    return record


def clear(lab_ids):
    """The labs passed again: their notices go."""
    if lab_ids:
        LabHealth.objects.filter(lab_id__in=lab_ids).delete()
