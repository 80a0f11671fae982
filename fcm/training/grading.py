"""Grade trainees' labs after each change, and render what the class sees of it.

The engine calls `after_changes` with the labs whose outbox had rows this
tick (a change, not the passing of time), so objectives are evaluated
when something happened and never by polling pages. An objective stays
met from the first moment it was true (the time is the grade), so a role
that later moves on does not untick it.
"""
import json
import logging
from datetime import datetime

from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from fcm.engine.models import LabHealth
from fcm.inventory.models import ClusterEvent
from fcm.sim.objectives import ObjectiveError, by_variable_name, evaluate, substitute

from . import catalogue, solution
from . import rows as rows_store
from .facts import lab_facts
from .models import JoinRefusal, TimelineFrame, Trainee, TrainingSession

#: Refused join attempts the dashboard lists (the count covers them all).
REFUSALS_SHOWN = 5

log = logging.getLogger(__name__)


def session_group(session_id):
    return f"training.{int(session_id)}"


def grade(trainee, now=None):
    """Evaluate the trainee's objectives on their lab now; save what changed. Returns the results."""
    now = now or timezone.now()
    exercise = catalogue.personalise(trainee.session.spec, trainee.variables)
    lab = trainee.lab
    sim_now = lab.sim_now(now)
    facts = lab_facts(lab, trainee.first_event_id, sim_now)
    results = evaluate(exercise["objectives"], facts)
    met = dict(trainee.met)
    graded_at = timezone.now()  # when the grader saw it met (a tick covering many labs takes a while)
    for r in results:
        if r.met and r.id not in met:
            met[r.id] = max(graded_at, now).isoformat()
    details = {r.id: r.reason for r in results if not r.met and r.id not in met}
    fields = []
    if met != trainee.met:
        trainee.met, fields = met, fields + ["met"]
    if details != trainee.details:
        trainee.details, fields = details, fields + ["details"]
    if trainee.finished_at is None and results and len(met) == len(results):
        trainee.finished_at, fields = now, fields + ["finished_at"]
    if fields:
        trainee.save(update_fields=fields)
    _record_frame(trainee, facts, sim_now, now)
    return results


def _record_frame(trainee, facts, sim_now, now):
    """One timeline frame per visible change (roles, nodes, objectives), for the replay."""
    state = {"roles": sorted([name, r["state"], r["owner"]] for name, r in facts.roles.items()),
             "nodes": sorted([name, n["state"] or "Not clustered", n["power"]] for name, n in facts.nodes.items()),
             "met": sorted(trainee.met)}
    last = TimelineFrame.objects.filter(trainee=trainee).order_by("-at", "-pk").values_list("state", flat=True).first()
    if last == state:
        return
    last_event = ClusterEvent.objects.filter(lab_id=trainee.lab_id).aggregate(m=Max("pk"))["m"] or 0
    TimelineFrame.objects.create(trainee=trainee, at=now, sim_time=sim_now, state=state, last_event_id=last_event)


def after_changes(lab_ids, now=None, emit=None):
    """{session group or lab id: HTML} to push: each trainer's table first, then each trainee's
    exercise panel and the class message on demo labs.

    `emit(group, html)`, when given, sends a trainer's table the moment one of their trainees meets
    an objective, without waiting for the rest of a busy class to be graded in this tick."""
    now = now or timezone.now()
    trainees = list(Trainee.objects.filter(lab_id__in=lab_ids).select_related("session__demo_lab", "lab"))
    sessions = {}
    for trainee in trainees:
        before = trainee.met
        try:
            grade(trainee, now)
        except Exception:  # one trainee's lab that cannot be read (the engine's notice says so) grades no one else's
            log.exception("lab %s: grading failed; the trainee keeps their last grade", trainee.lab_id)
        sessions[trainee.session_id] = trainee.session
        if emit is not None and trainee.met != before:
            emit(session_group(trainee.session_id), trainee_table(trainee.session, now))
    out = {session_group(pk): trainee_table(session, now) for pk, session in sessions.items()}
    for trainee in trainees:
        out[trainee.lab_id] = render_to_string("training/_exercise.html",
                                               {"panel": panel_context(trainee), "oob": True})
    for session in TrainingSession.objects.filter(pk__in=sessions.keys()) | \
            TrainingSession.objects.filter(demo_lab_id__in=lab_ids):
        # Seats taken, joining locked or reopened, refused attempts: the demo lab carries the class's marks.
        group = session_group(session.pk)
        out[group] = out.get(group, "") + joining_box(session)
        if session.demo_lab_id in lab_ids:
            out[session.demo_lab_id] = render_to_string("training/_class_message.html",
                                                        {"session": session, "oob": True})
    return out


def joining_context(session, joined=None):
    """The dashboard's joining box: seats taken of the class size, whether joining is locked, and the
    join attempts refused (the count and the last few)."""
    return {"joined": session.trainees.count() if joined is None else joined,
            "refusals": list(JoinRefusal.objects.filter(session=session)[:REFUSALS_SHOWN])}


def joining_box(session):
    """The joining box as the engine pushes it to the dashboard (out of band; htmx sends the page's CSRF
    header with its buttons)."""
    return render_to_string("training/_joining.html", {"session": session, "oob": True,
                                                       **joining_context(session)})


def trainee_table(session, now=None, oob=True):
    """The dashboard's whole table (pushed whole: a trainee who just joined has no row to replace yet);
    each row is drawn only when it changed (fcm/training/rows.py)."""
    rows = list(session.trainees.all())
    links = {name: _link(*route) for name, route in (
        ("watch", ("console:root", 0)), ("replay", ("training:replay", 0)),
        ("reset", ("training:reset", session.pk, 0)))}
    fixed = {"dashboard_url": reverse("training:dashboard", args=[session.pk]),
             "solution_url": reverse("training:solution", args=[session.pk])}
    has_solution = bool(session.solution)
    failing = {h.lab_id: h.notice(timezone.now()) for h in LabHealth.objects.filter(
        lab_id__in=[t.lab_id for t in rows if t.lab_id])}

    def context(t):
        row = {**row_context(t), **fixed, "lab_health": failing.get(t.lab_id, ""),
               **{f"{name}_url": link(t.lab_id if name == "watch" else t.pk) for name, link in links.items()}}
        return {"row": row, "session": session, "has_solution": has_solution}

    session_key = json.dumps([session.pk, session.is_open, has_solution, session.objectives, fixed,
                              [link(0) for link in links.values()]], sort_keys=True)
    html = []
    for t in rows:
        t.session = session
        # The lab's failure notice is not a field of the trainee: it is part of what the row is drawn from.
        html.append(rows_store.row_html(t, session_key + failing.get(t.lab_id, ""), context))
    return render_to_string("training/_trainee_rows.html", {
        "session": session, "row_html": html, "oob": oob, "now": now, "has_solution": has_solution})


def _link(name, *args):
    """A URL maker for one route whose last argument varies: reversed once for a whole table."""
    marker = 987654321
    pattern = reverse(name, args=[*args[:-1], marker])
    return lambda pk: pattern.replace(str(marker), str(pk))


def met_now(trainee):
    """Objectives met: those graded met, and those true in the lab this moment (the grader records them
    at its next pass). Reads the lab's facts (nine queries)."""
    met = set(trainee.met)
    if trainee.lab is not None:
        exercise = catalogue.personalise(trainee.session.spec, trainee.variables)
        facts = lab_facts(trainee.lab, trainee.first_event_id)
        met |= {r.id for r in evaluate(exercise["objectives"], facts) if r.met}
    return met


def objective_rows(trainee, exercise=None):
    """Each objective for one trainee: its text with their names in it (`personal` when it has any),
    whether and when it was met, and why not yet (the reason, in the console's words)."""
    generic = trainee.session.objectives
    specs = exercise["objectives"] if exercise else substitute(generic, trainee.variables)
    rows = []
    for template, spec in zip(generic, specs):
        at = trainee.met.get(spec["id"])
        rows.append({"id": spec["id"], "text": spec["text"], "met": at is not None,
                     "personal": spec["text"] != template["text"],
                     "after": elapsed(trainee.started_at, datetime.fromisoformat(at)) if at else "",
                     "detail": "" if at else trainee.details.get(spec["id"], "")})
    return rows


def elapsed(start, moment):
    """m:ss from the start of the exercise."""
    seconds = max(0, int((moment - start).total_seconds()))
    return f"{seconds // 60}:{seconds % 60:02d}"


def solution_steps(session, variables=None, exercise=None):
    """The exercise's solution steps with one trainee's `variables` put in, or, for no one trainee,
    each variable by its name (‹vm›). An exercise stored without a solution has none."""
    steps = (exercise or session.spec).get("solution") or []
    if not isinstance(steps, list):
        return []
    if variables is None:
        return by_variable_name(steps)
    try:
        return substitute(steps, variables)
    except ObjectiveError:  # a step naming a variable the exercise does not declare
        return by_variable_name(steps)


def solution_context(session, trainee=None):
    """The dashboard's Solution: the steps under each objective, with `trainee`'s own names and which
    of their objectives are met (the first open one unfolded), or with the variables by name."""
    if trainee is None:
        texts = session.objective_texts
        steps = solution_steps(session)
    else:
        exercise = catalogue.personalise(session.spec, trainee.variables)
        texts = [o["text"] for o in exercise["objectives"]]
        steps = solution_steps(session, trainee.variables, exercise)
    groups = solution.by_objective([(o["id"], text) for o, text in zip(session.objectives, texts)], steps)
    first_open = None
    for number, group in enumerate(groups, 1):
        group["number"] = number if group["id"] else ""
        group["met"] = trainee is not None and group["id"] in trainee.met
        group["open"] = False
        if trainee is not None and first_open is None and not group["met"] and group["steps"]:
            first_open = group["open"] = True
    return {"session": session, "trainee": trainee, "groups": groups, "has_solution": bool(steps)}


def _revealed(trainee, exercise):
    """What "Show me the next step" has shown this trainee: [{"id", "text", "met", "steps"}]."""
    shown = [entry.get("objective") for entry in trainee.steps_shown if isinstance(entry, dict)]
    if not shown:
        return []
    texts = {o["id"]: o["text"] for o in exercise["objectives"]}
    steps = solution.describe(solution_steps(trainee.session, trainee.variables, exercise))
    return [{"id": oid, "text": texts.get(oid, ""), "met": oid in trainee.met,
             "steps": [s for s in steps if s["objective"] == oid]} for oid in shown]


def next_step_for(trainee, done, exercise=None):
    """The objective "Show me the next step" would reveal for `trainee` now (None: nothing to reveal).
    Written hints come first: the next step is offered once they are all shown, while the session is open."""
    session = trainee.session
    exercise = exercise or catalogue.personalise(session.spec, trainee.variables)
    if not session.is_open or len(trainee.hints_used) < len(exercise["hints"]):
        return None
    steps = solution_steps(session, trainee.variables, exercise)
    shown = [entry.get("objective") for entry in trainee.steps_shown if isinstance(entry, dict)]
    return solution.next_objective([o["id"] for o in exercise["objectives"]], done, shown, steps)


def panel_context(trainee):
    session = trainee.session
    exercise = catalogue.personalise(session.spec, trainee.variables)
    hints = exercise["hints"]
    return {"trainee": trainee, "session": session, "exercise": exercise,
            "objectives": objective_rows(trainee, exercise), "progress": trainee.progress,
            "hints_shown": hints[:len(trainee.hints_used)], "hints_left": len(hints) - len(trainee.hints_used),
            "show_reasons": session.show_reasons, "next_steps": _revealed(trainee, exercise),
            "steps_shown": len(trainee.steps_shown),
            "next_step": next_step_for(trainee, set(trainee.met), exercise) is not None}


def row_context(trainee):
    return {"trainee": trainee, "objectives": objective_rows(trainee), "progress": trainee.progress,
            "hints": trainee.hints_taken, "steps": len(trainee.steps_shown)}
