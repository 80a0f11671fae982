"""What a trainer and a trainee do to a session, as services the views and tests call.

Every change to a trainee's lab leaves an outbox mark; the engine then
grades the lab and pushes the trainee's checklist and the trainer's row
(fcm.training.grading), so a change made here, in the console or by the
engine itself is graded the same way, once.
"""
import secrets

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import dateformat, timezone

from fcm.engine import clock
from fcm.engine.commands import faults, labs
from fcm.engine.errors import EngineError
from fcm.engine.outbox import mark
from fcm.engine.models import Outbox
from fcm.engine import labfile
from fcm.inventory.models import ClusterDisk, ClusterEvent, ClusterNetwork, Disk, Lab, NetworkAdapter, Node, WanLink
from fcm.sim import objectives

from . import catalogue, grading
from .catalogue import FAULT_KINDS
from .models import MAX_CLASS_SIZE, JoinRefusal, TimelineFrame, Trainee, TrainingSession
from .signals import lab_replacing, session_ended


class ClassroomError(Exception):
    """A refusal shown to the person who asked, where they asked."""


def start_session(trainer, exercise_name, values_seed="", class_size=None):
    """A new session on an exercise, with the trainer's own demo lab (the follow-mode lab)."""
    exercise = catalogue.load(exercise_name)
    size = {} if class_size is None else {"class_size": _checked_size(class_size)}
    with transaction.atomic():
        session = TrainingSession.objects.create(trainer=trainer, scenario=exercise_name, spec=exercise,
                                                 title=exercise["title"], values_seed=values_seed, **size)
        variables = objectives.choose_variables(exercise["variables"], f"demo-{values_seed or session.pk}")
        session.demo_lab = _clone(exercise, variables, trainer, f"{session.code}-demo-{exercise['lab']}",
                                  demo_lab_title(session))
        session.save(update_fields=["demo_lab"])
    return session


def demo_lab_title(session):
    """The trainer's demo lab is named after its session: "Maintenance window — ABC123, 1 Dec 2026 (trainer)"."""
    day = dateformat.format(timezone.localtime(session.created_at), "j M Y")
    return f"{session.title} \u2014 {session.code}, {day} (trainer)"


def _clone(exercise, variables, owner, name, title):
    data = catalogue.renamed_lab_data(exercise, variables)
    lab = labfile.load(labfile.lab_path(exercise["lab"]), owner, name=name[:80], data=data)
    Lab.objects.filter(pk=lab.pk).update(title=title[:200])
    lab.title = title[:200]
    personal = catalogue.personalise(exercise, variables)
    for fault in personal["faults"]:
        inject_into(lab, owner, fault)
    return lab


def clean_display_name(value):
    name = " ".join((value or "").split())
    if not name:
        raise ClassroomError("Type the name the trainer will see.")
    if len(name) > 40:
        raise ClassroomError("Use at most 40 characters.")
    return name


def join(session, display_name):
    """A trainee for `display_name` in `session`, with their own lab; refused (ClassroomError) when the
    session has ended, joining is locked, the class is full or the name is taken.

    The seat is taken with the session's row locked, so two joiners racing for the last seat cannot
    both have it; the lab is cloned after that commits (other joiners need not wait for it), and a
    clone that fails gives the seat back."""
    name = clean_display_name(display_name)
    User = get_user_model()
    try:
        with transaction.atomic():
            session = TrainingSession.objects.select_for_update().get(pk=session.pk)
            _check_seat(session)
            if session.trainees.annotate(lower=Lower("display_name")).filter(lower=name.lower()).exists():
                raise IntegrityError
            user = User.objects.create_user(f"trainee-{secrets.token_hex(6)}", password=None, first_name=name[:150])
            trainee = Trainee.objects.create(session=session, user=user, display_name=name)
    except IntegrityError:
        raise ClassroomError(f"Someone in this session is already called {name}. Add an initial.") from None
    try:
        with transaction.atomic():
            _give_lab(trainee)
    except Exception:
        user.delete()
        raise
    return trainee


class JoinRefused(ClassroomError):
    """A refusal the class's trainer sees on the dashboard (`reason`: a JoinRefusal.Reason)."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


def _check_seat(session):
    """Refuse a joiner when the session has ended, joining is locked or every seat is taken."""
    if not session.is_open:
        raise ClassroomError("This session has ended.")
    if session.joining_locked:
        raise JoinRefused("The trainer has locked joining. Ask your trainer to reopen it.",
                          JoinRefusal.Reason.LOCKED)
    taken = session.trainees.count()
    if taken >= session.class_size:
        raise JoinRefused(f"This class is full ({taken} of {session.class_size}). Ask your trainer to make room.",
                          JoinRefusal.Reason.FULL)


def record_refusal(session, address, reason, detail=""):
    """Count a refused join attempt for the class's trainer and keep it among the last few; the engine's
    pass shows it on the dashboard."""
    with transaction.atomic():
        TrainingSession.objects.filter(pk=session.pk).update(refused_joins=F("refused_joins") + 1)
        JoinRefusal.objects.create(session_id=session.pk, address=address or None, reason=reason,
                                   detail=detail[:40])
        stale = JoinRefusal.objects.filter(session_id=session.pk).values_list("pk", flat=True)[JoinRefusal.KEPT:]
        JoinRefusal.objects.filter(pk__in=list(stale)).delete()
        _mark_dashboard(session)


def near_code(code, sessions):
    """The open session whose code `code` misses by one or two characters (a letter misread on the
    projector), for its trainer to see; None when none is that close."""
    for session in sessions:
        if len(session.code) == len(code) and sum(a != b for a, b in zip(session.code, code)) <= 2:
            return session
    return None


def _checked_size(size):
    if not isinstance(size, int) or not 1 <= size <= MAX_CLASS_SIZE:
        raise ClassroomError(f"Choose a class size from 1 to {MAX_CLASS_SIZE}.")
    return size


def set_class_size(session, size):
    """The number of trainees who may join; never fewer than have joined already."""
    size = _checked_size(size)
    with transaction.atomic():
        session = TrainingSession.objects.select_for_update().get(pk=session.pk)
        joined = session.trainees.count()
        if size < joined:
            raise ClassroomError(f"{joined} trainees have joined: the class size cannot be less than {joined}. "
                                 "Lock joining to stop more from joining.")
        TrainingSession.objects.filter(pk=session.pk).update(class_size=size)
        _mark_dashboard(session)
    return size


def set_joining(session, locked):
    """Lock joining (the code stops admitting anyone new; those in the class carry on) or reopen it.
    Returns False when it already was so."""
    with transaction.atomic():
        changed = TrainingSession.objects.filter(pk=session.pk, ended_at__isnull=True).exclude(
            joining_locked=locked).update(joining_locked=locked)
        if changed:
            _mark_dashboard(session)
    return bool(changed)


def _mark_dashboard(session):
    """A mark on the demo lab: the engine's pass pushes the class's joining box to the dashboard
    (fcm.training.grading.after_changes)."""
    if session.demo_lab_id:
        mark(session.demo_lab_id, Outbox.Kind.EXERCISE)


def values_seed(trainee):
    """What draws a trainee's values: their own session and id, or the session's word and their place in it."""
    session = trainee.session
    if session.values_seed:
        return f"{session.values_seed}-{session.trainees.filter(pk__lte=trainee.pk).count()}"
    return f"{session.pk}-{trainee.pk}"


def _give_lab(trainee):
    session = trainee.session
    exercise = session.spec
    trainee.variables = objectives.choose_variables(exercise["variables"], values_seed(trainee))
    trainee.first_event_id = ClusterEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    trainee.lab = _clone(exercise, trainee.variables, trainee.user,
                         f"{session.code}-{trainee.pk}-{exercise['lab']}",
                         f"{exercise['title']}: {trainee.display_name}")
    # Events before the lab's own history was loaded cannot be the trainee's; nor can the history.
    trainee.first_event_id = ClusterEvent.objects.filter(lab=trainee.lab).order_by("-pk").values_list(
        "pk", flat=True).first() or trainee.first_event_id
    trainee.save(update_fields=["variables", "first_event_id", "lab"])
    if session.demo_lab_id:
        Lab.objects.filter(pk=trainee.lab_id).update(speed=session.demo_lab.speed)
    mark(trainee.lab_id, Outbox.Kind.EXERCISE)


def exercise_for(trainee):
    """The exercise with this trainee's names and addresses in it."""
    return catalogue.personalise(trainee.session.spec, trainee.variables)


def reset(trainee):
    """A fresh copy of the trainee's lab (same variables): results, hints and timeline start again."""
    with transaction.atomic():
        trainee = Trainee.objects.select_for_update(of=("self",)).select_related("session__demo_lab").get(pk=trainee.pk)
        old_id = trainee.lab_id
        trainee.lab = None
        trainee.save(update_fields=["lab"])
        if old_id is not None:
            lab_replacing.send(Trainee, lab_id=old_id)
            labs.remove_lab(old_id)
        trainee.met, trainee.details, trainee.hints_used, trainee.steps_shown = {}, {}, [], []
        trainee.started_at, trainee.finished_at = timezone.now(), None
        trainee.last_action, trainee.last_action_at = "Lab reset by the trainer", timezone.now()
        trainee.save()
        TimelineFrame.objects.filter(trainee=trainee).delete()
        _give_lab(trainee)
        if old_id is not None:
            # The trainee's open console shows a lab that is gone: the engine's pass tells it where the new one is.
            mark(trainee.lab_id, Outbox.Kind.LAB_REPLACED, old_id)
    return trainee


def reveal_hint(trainee):
    """The next hint (its use is recorded); None when every hint is shown."""
    with transaction.atomic():
        trainee = Trainee.objects.select_for_update(of=("self",)).select_related("session").get(pk=trainee.pk)
        hints = trainee.session.spec["hints"]
        if len(trainee.hints_used) >= len(hints):
            return trainee
        trainee.hints_used = trainee.hints_used + [timezone.now().isoformat()]
        trainee.save(update_fields=["hints_used"])
        mark(trainee.lab_id, Outbox.Kind.EXERCISE)
    return trainee


def reveal_next_step(trainee, shown=None):
    """"Show me the next step": reveal the solution steps of the first objective that is not met (graded
    again now, so work done since the last pass counts) and not revealed yet; it counts as a hint.

    `shown` is how many the trainee's panel showed when they clicked: a second click of the same panel
    (or a count that does not match) reveals nothing more. Nothing either when the session has ended,
    written hints are left, or no objective has steps left to show. Returns the trainee."""
    done = grading.met_now(trainee)
    with transaction.atomic():
        trainee = Trainee.objects.select_for_update(of=("self",)).select_related("session").get(pk=trainee.pk)
        if shown is None or shown != len(trainee.steps_shown):
            return trainee
        objective = grading.next_step_for(trainee, done | set(trainee.met))
        if objective is None:
            return trainee
        trainee.steps_shown = trainee.steps_shown + [{"objective": objective, "at": timezone.now().isoformat()}]
        trainee.save(update_fields=["steps_shown"])
        mark(trainee.lab_id, Outbox.Kind.EXERCISE)
    return trainee


def broadcast(session, text):
    text = (text or "").strip()
    if not text:
        raise ClassroomError("Type the message to send.")
    if len(text) > 500:
        raise ClassroomError("Keep the message under 500 characters.")
    TrainingSession.objects.filter(pk=session.pk).update(message=text, message_at=timezone.now())
    for lab_id in _labs(session):
        mark(lab_id, Outbox.Kind.EXERCISE)


def set_clocks(session, speed):
    """Pause (0) or run every lab of the class at `speed`, the trainer's demo lab included."""
    with transaction.atomic():
        for lab in Lab.objects.select_for_update().filter(pk__in=_labs(session)):
            clock.set_speed(lab, speed)


def end(session, remove_demo_lab=False, remove_trainee_labs=False):
    """Close the session: the code stops working. Labs kept stay for review and the replay, read-only
    to trainees; removed ones are deleted with everything in them (results and timelines stay).
    Returns how many labs were removed."""
    with transaction.atomic():
        updated = TrainingSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
            ended_at=timezone.now())
        if not updated:
            raise ClassroomError("This session has already ended.")
        for lab_id in _labs(session):
            mark(lab_id, Outbox.Kind.EXERCISE)
        session_ended.send(TrainingSession, session=session, trainee_user_ids=list(
            Trainee.objects.filter(session=session).values_list("user_id", flat=True)))
    return remove_labs(session, remove_demo_lab, remove_trainee_labs)


def remove_labs(session, demo_lab=False, trainee_labs=False):
    """Delete the session's demo lab and/or its trainees' labs (an ended session's only). Returns how many."""
    session = TrainingSession.objects.get(pk=session.pk)
    if session.ended_at is None:
        raise ClassroomError("End the session before removing its labs.")
    ids = []
    if trainee_labs:
        ids += list(Trainee.objects.filter(session=session, lab__isnull=False).values_list("lab_id", flat=True))
    if demo_lab and session.demo_lab_id:
        ids.append(session.demo_lab_id)
    return sum(labs.remove_lab(lab_id) for lab_id in ids)


def _labs(session):
    ids = list(Trainee.objects.filter(session=session, lab__isnull=False).values_list("lab_id", flat=True))
    return ids + ([session.demo_lab_id] if session.demo_lab_id else [])


# -- faults ---------------------------------------------------------------------------------

def fault_targets(session):
    """{fault kind: [names in the scenario's lab]} the trainer can pick from (the demo lab's)."""
    lab = session.demo_lab
    if lab is None:
        return {}
    nodes = list(Node.objects.filter(lab=lab).values_list("name", flat=True))
    return {
        "crash-node": nodes, "disconnect-storage": nodes,
        "disconnect-adapter": [f"{n} / {a}" for n, a in NetworkAdapter.objects.filter(node__lab=lab)
                               .values_list("node__name", "name")],
        "disconnect-network": sorted(set(ClusterNetwork.objects.filter(cluster__lab=lab)
                                         .values_list("name", flat=True))),
        "fail-disk": list(Disk.objects.filter(lab=lab).values_list("name", flat=True)),
        "disconnect-wan": list(WanLink.objects.filter(lab=lab).values_list("name", flat=True)),
    }


def inject(session, trainer, kind, name, trainees):
    """Cause fault `kind` on the object called `name` (as in the scenario) in each trainee's lab.

    Returns [(trainee, error or "")]; a lab where it cannot happen (the node is already off)
    is reported and the others still get it.
    """
    if kind not in FAULT_KINDS:
        raise ClassroomError("Choose a kind of failure.")
    if name not in fault_targets(session).get(kind, []):
        raise ClassroomError(f"There is no {FAULT_KINDS[kind][0]} {name!r} in this scenario.")
    fault = {"kind": kind}
    if kind == "disconnect-adapter":
        fault["node"], fault["adapter"] = [part.strip() for part in name.split("/", 1)]
    else:
        fault[FAULT_KINDS[kind][0]] = name
    results = []
    for trainee in trainees:
        personal = {key: _renamed(session.spec, trainee.variables, value) for key, value in fault.items()}
        try:
            inject_into(trainee.lab, trainer, personal)
            results.append((trainee, ""))
        except ClassroomError as exc:
            results.append((trainee, str(exc)))
    return results


def _renamed(exercise, variables, value):
    template = exercise["renames"].get(value)
    return objectives.substitute(template, variables) if template else value


def inject_into(lab, user, fault):
    """Apply one fault to one lab through the same engine services as the console's Simulate menu."""
    kind = fault["kind"]
    try:
        if kind in ("crash-node", "disconnect-storage", "disconnect-adapter"):
            node = Node.objects.get(lab=lab, name__iexact=fault["node"])
            if kind == "crash-node":
                faults.crash_node(user, node)
            elif kind == "disconnect-storage":
                faults.set_storage_paths(user, node, False)
            else:
                faults.set_adapter(user, NetworkAdapter.objects.get(node=node, name__iexact=fault["adapter"]),
                                   False)
        elif kind == "disconnect-network":
            faults.set_network(user, ClusterNetwork.objects.get(cluster__lab=lab, name__iexact=fault["network"]),
                               False)
        elif kind == "fail-disk":
            cd = ClusterDisk.objects.filter(cluster__lab=lab, name__iexact=fault["disk"]).select_related("disk").first()
            faults.set_disk(user, cd.disk if cd else Disk.objects.get(lab=lab, name__iexact=fault["disk"]),
                            False)
        elif kind == "disconnect-wan":
            faults.set_wan_link(user, WanLink.objects.get(lab=lab, name__iexact=fault["link"]), False)
        else:
            raise ClassroomError(f"Unknown kind of failure {kind!r}.")
    except (Node.DoesNotExist, NetworkAdapter.DoesNotExist, ClusterNetwork.DoesNotExist, Disk.DoesNotExist,
            WanLink.DoesNotExist):
        raise ClassroomError(f"{lab.title or lab.name} has no such {FAULT_KINDS[kind][0]}.") from None
    except EngineError as exc:
        raise ClassroomError(str(exc)) from None
    mark(lab.pk, Outbox.Kind.EXERCISE)
