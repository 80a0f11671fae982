"""Engines share the labs by lease: one engine works a lab at a time, and another takes it over when it stops.

Why: in the scaled setup one engine process would be a single point of failure and a ceiling, and two
engines working the same lab would both start its queued moves, both run its Replica cycles and push its
changes twice. So each lab has a lease (`LabLease`): only its holder applies the lab's transitions and
takes its Outbox rows.

Each pass an engine (`Leases.hold`)
- renews its heartbeat (`EngineHeartbeat`), and counts the engines whose heartbeat is fresh;
- renews the leases it holds on labs that have work (active operations or replications, Outbox rows);
- gives up what is beyond its share, ceil(labs with work / engines alive), so that an engine started
  beside a busy one gets half the labs instead of none;
- claims free or expired leases up to its share, locking them with SELECT ... FOR UPDATE SKIP LOCKED:
  two engines claiming at once take disjoint labs and never wait for each other.
Between passes a thread of `manage.py runengine` (`Renewer`) renews the heartbeat and the leases held every
`RENEW_S`: on a busy machine one pass may take longer than a lease, and its labs must not move meanwhile
(nor flap between two slow engines). A killed engine renews nothing: its leases and its heartbeat expire
after `LEASE_S`, and the next pass of another engine takes its labs. An engine that stops cleanly gives
its leases up at once (`release`). The conditional UPDATE that claims each transition (lifecycle.advance)
stays the last line of defence: an engine that stalled past its lease and carries on cannot apply a step
the new holder applied.

With SQLite (the embedded setup, one engine on daphne's loop) leases are off by default
(settings.FCM_ENGINE_LEASES): the one engine works every lab, and a lease write every pass would queue
behind the one file lock for nothing. Turned on, they work the same (SQLite has no row locks: its
IMMEDIATE transactions serialise the claims instead); the tests run them on both databases.
"""
import logging
import math
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.utils import timezone

from .models import EngineHeartbeat, LabLease, Outbox

log = logging.getLogger(__name__)

#: Seconds a lease, and an engine's heartbeat, last without renewal. A killed engine's labs are taken over
#: by another engine's first pass after its leases expire: at most LEASE_S + one tick (0.25 s) + one pass,
#: under the 5 s the scaled setup promises. A live engine renews at every pass and, between passes, every
#: RENEW_S: only a dead or hung process loses its labs.
LEASE_S = 3.0

#: Seconds between renewals by the `Renewer` thread, well within a lease.
RENEW_S = 1.0

#: A heartbeat this stale belongs to an engine long gone: its row is deleted when an engine starts.
FORGET_AFTER = timedelta(days=1)


def default_engine_id():
    """hostname:pid, unique among the engines of one database."""
    return f"{socket.gethostname()}:{os.getpid()}"


def share(labs, engines):
    """How many labs one engine may hold: all of them when it runs alone."""
    return math.ceil(labs / max(engines, 1))


class Leases:
    """One engine's leases: which labs it works this pass."""

    def __init__(self, engine_id=None, enabled=None):
        self.engine_id = engine_id or default_engine_id()
        self.enabled = settings.FCM_ENGINE_LEASES if enabled is None else enabled
        #: The labs held after the last pass (to log what changes hands).
        self.held = set()
        self._beating = False
        self._last_pass = None

    def hold(self, labs, now):
        """The labs this engine works this pass, out of `labs` (lab ids with active operations or replications)
        and the labs with Outbox rows; None when leases are off (every lab). `now`: wall time."""
        if not self.enabled:
            return None
        wanted = set(labs) | set(Outbox.objects.values_list("lab_id", flat=True).distinct())
        until = now + timedelta(seconds=LEASE_S)
        if self._last_pass is not None and (now - self._last_pass).total_seconds() > LEASE_S:
            log.warning("engine %s: %.1f s since its last pass, longer than a lease (%g s): another engine may "
                        "have taken its labs", self.engine_id, (now - self._last_pass).total_seconds(), LEASE_S)
        self._last_pass = now
        engines = self._beat(now, until)
        mine = LabLease.objects.filter(engine_id=self.engine_id)
        mine.filter(lab_id__in=wanted).update(expires_at=until)
        held = set(mine.filter(lab_id__in=wanted, expires_at__gt=now).values_list("lab_id", flat=True))
        lost = (self.held & wanted) - held
        room = share(len(wanted), engines) - len(held)
        given_up, taken = set(), set()
        if room < 0:
            given_up = set(sorted(held)[room:])
            mine.filter(lab_id__in=given_up).update(engine_id="", expires_at=now)
            held -= given_up
        elif room > 0 and wanted - held:
            taken = self._claim(wanted - held, room, now, until)
            held |= taken
        self._log(taken, given_up, lost, engines)
        self.held = held
        return held

    def renew(self, now):
        """Extend this engine's heartbeat and the leases it held at its last pass (between passes)."""
        if not self.enabled:
            return
        until = now + timedelta(seconds=LEASE_S)
        held = self.held  # a new set each pass: never changed once assigned
        EngineHeartbeat.objects.filter(engine_id=self.engine_id).update(seen_until=until)
        if held:
            LabLease.objects.filter(engine_id=self.engine_id, lab_id__in=held).update(expires_at=until)

    def release(self, now):
        """Give every lease up and leave (an engine that stops cleanly): another engine takes the labs at once."""
        if not self.enabled:
            return
        LabLease.objects.filter(engine_id=self.engine_id).update(engine_id="", expires_at=now)
        EngineHeartbeat.objects.filter(engine_id=self.engine_id).delete()
        if self.held:
            log.info("engine %s gave up labs %s (stopping)", self.engine_id, sorted(self.held))
        self.held = set()

    def _beat(self, now, until):
        """Renew this engine's heartbeat; returns how many engines are alive (this one included)."""
        if not EngineHeartbeat.objects.filter(engine_id=self.engine_id).update(seen_until=until):
            EngineHeartbeat.objects.filter(seen_until__lt=now - FORGET_AFTER).delete()
            EngineHeartbeat.objects.bulk_create([EngineHeartbeat(engine_id=self.engine_id, seen_until=until)],
                                                ignore_conflicts=True)
        if not self._beating:
            self._beating = True
            log.info("engine %s started sharing the labs by lease", self.engine_id)
        return EngineHeartbeat.objects.filter(seen_until__gt=now).count()

    def _claim(self, candidates, room, now, until):
        """Take up to `room` of `candidates` whose lease is free or expired; returns the lab ids taken."""
        missing = candidates - set(LabLease.objects.filter(lab_id__in=candidates).values_list("lab_id", flat=True))
        try:
            with transaction.atomic():
                # A lab's first lease row; a lab deleted meanwhile fails the foreign key (below).
                LabLease.objects.bulk_create([LabLease(lab_id=lab_id, expires_at=now) for lab_id in missing],
                                             ignore_conflicts=True)
        except IntegrityError:
            return set()  # a lab was deleted since this pass listed it: claim again next pass
        with transaction.atomic():
            free = list(LabLease.objects.select_for_update(skip_locked=True)
                        .filter(lab_id__in=candidates, expires_at__lte=now)
                        .order_by("lab_id").values_list("lab_id", flat=True)[:room])
            if free:
                LabLease.objects.filter(lab_id__in=free).update(engine_id=self.engine_id, expires_at=until)
        return set(free)

    def _log(self, taken, given_up, lost, engines):
        if taken:
            log.info("engine %s took labs %s (%d engines alive)", self.engine_id, sorted(taken), engines)
        if given_up:
            log.info("engine %s gave up labs %s to share them (%d engines alive)", self.engine_id,
                     sorted(given_up), engines)
        if lost:
            log.warning("engine %s lost labs %s: its lease expired and another engine took them",
                        self.engine_id, sorted(lost))


class Renewer(threading.Thread):
    """Renews an engine's leases every `RENEW_S` while its passes run (started by `manage.py runengine`)."""

    def __init__(self, leases, clock=timezone.now, every=RENEW_S):
        super().__init__(name=f"leases-{leases.engine_id}", daemon=True)
        self.leases, self.clock, self.every = leases, clock, every
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(self.every):
            try:
                self.leases.renew(self.clock())
            except DatabaseError:  # PostgreSQL restarting: the next pass, or the next renewal, catches up
                log.exception("engine %s could not renew its leases", self.leases.engine_id)
            finally:
                close_old_connections()

    def stop(self):
        self.stopping.set()
        self.join(self.every * 5)
