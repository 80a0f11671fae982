"""The trainer's dashboard: the solution, "Show me the next step", each trainee's own texts and why an
objective is not met, the demo lab of a session and ending it, and who sees which lab."""
import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from fcm.engine.commands import faults
from fcm.engine.models import Operation, Outbox
from fcm.inventory.models import ClusterEvent, Lab, Node, Role, VirtualMachine
from fcm.training import classroom, grading, rows
from fcm.training.models import TRAINERS_GROUP, AuditEntry, Trainee, TrainingSession

pytestmark = pytest.mark.django_db

#: A solution as the catalogue stores it (variables unsubstituted), for the quick migration exercise
#: with one more objective in front that a fault meets at once (contoso3 powered off).
SOLUTION = [
    {"objective": "off", "do": "click", "path": ["Nodes", "contoso3", "Simulate", "Power Off (crash)"]},
    {"objective": "ha", "do": "click", "path": ["Services and Applications", "{vm}", "Turn Off"],
     "note": "On 2008 the virtual machine must be off or saved first."},
    {"objective": "ha", "do": "click", "path": ["Services and Applications", "Configure a Service or Application..."]},
    {"objective": "ha", "do": "choose", "path": ["Select Service or Application", "Service or application"],
     "value": "Virtual Machine"},
    {"objective": "ha", "do": "check", "path": ["Select Virtual Machine", "{vm}"]},
    {"objective": "online", "do": "click", "path": ["Services and Applications", "{vm}",
                                                    "Bring this service or application online"]},
    {"objective": "online", "do": "wait", "value": "Online"},
    {"objective": "moved", "do": "click", "path": ["Services and Applications", "Guest1",
                                                   "Move virtual machine(s) to another node", "Select Node..."]},
    {"objective": "moved", "do": "choose", "path": ["Move Virtual Machine", "Node"], "value": "contoso4"},
]
OFF = {"id": "off", "text": "Power off contoso3", "check": "node", "node": "contoso3", "power": "Off"}


@pytest.fixture
def trainers_group():
    return Group.objects.get_or_create(name=TRAINERS_GROUP)[0]


@pytest.fixture
def trainer(django_user_model, trainers_group):
    user = django_user_model.objects.create_user("maria", password="correct-horse-9")
    user.groups.add(trainers_group)
    return user


@pytest.fixture
def other_trainer(django_user_model, trainers_group):
    user = django_user_model.objects.create_user("omar", password="correct-horse-9")
    user.groups.add(trainers_group)
    return user


def with_solution(session, hints=None, **extra):
    """The session's stored exercise with a solution (and the objective `off` first)."""
    spec = dict(session.spec)
    spec["objectives"] = [OFF] + [o for o in spec["objectives"] if o["id"] != "off"]
    spec["solution"] = SOLUTION
    if hints is not None:
        spec["hints"] = hints
    spec.update(extra)
    session.spec = spec
    session.save(update_fields=["spec"])
    return session


@pytest.fixture
def session(trainer):
    return with_solution(classroom.start_session(trainer, "quick-migration-2008"), hints=["Look at the nodes."])


def as_user(client, user):
    client.force_login(user)
    return client


def trainee_named(session, name, vm_avoid=None):
    """A trainee in `session` (with a vm of their own, not `vm_avoid`)."""
    for i in range(20):
        t = classroom.join(session, f"{name}{'' if not i else i}")
        if t.variables["vm"] != vm_avoid:
            return t
    raise AssertionError("no distinct variable drawn")


def panel(client, trainee):
    return client.get(reverse("console:root", args=[trainee.lab_id])).content.decode()


def reveal(client, shown):
    return client.post(reverse("training:next-step"), {"shown": str(shown)}).content.decode()


def said(response):
    """The text of an answer, as read (entities such as &#x27; decoded)."""
    return html.unescape(response.content.decode())


# -- 1. the solution on the dashboard ---------------------------------------------------------------

def test_the_dashboard_shows_the_solution_by_objective_with_variables_or_a_trainees_values(client, session, trainer):
    ann = classroom.join(session, "Ann")
    as_user(client, trainer)
    page = client.get(reverse("training:dashboard", args=[session.pk])).content.decode()
    solution = page[page.index('id="solution"'):]
    assert solution.count('<details class="solution-objective') == 4
    assert re.search(r'data-objective="ha">\s*<summary><span class="num">2\.</span> Make \u2039vm\u203a highly available',
                     solution)
    assert "Click Services and Applications \u203a \u2039vm\u203a \u203a Turn Off" in solution
    assert "On 2008 the virtual machine must be off or saved first." in solution
    assert "Select Service or Application: in Service or application, choose \u201cVirtual Machine\u201d" in solution
    assert "Select Virtual Machine: tick \u2039vm\u203a" in solution
    assert "Wait until the console shows Online" in solution
    vm = ann.variables["vm"]
    assert vm not in solution
    # Chosen trainee: their own names, what they met ticked, the first open objective unfolded.
    url = reverse("training:solution", args=[session.pk])
    mine = client.get(url, {"trainee": ann.pk}).content.decode()
    assert "Solution for Ann" in mine and f"Click Services and Applications \u203a {vm} \u203a Turn Off" in mine
    assert "\u2039vm\u203a" not in mine and '<details class="solution-objective" data-objective="off" open>' in mine
    # The row links to it; without JavaScript the dashboard itself takes ?trainee=.
    assert f'hx-get="{url}?trainee={ann.pk}"' in page
    full = client.get(reverse("training:dashboard", args=[session.pk]), {"trainee": ann.pk}).content.decode()
    assert f"Select Virtual Machine: tick {vm}" in full


def test_a_bad_or_foreign_trainee_in_the_solution_is_a_404(client, session, trainer, other_trainer):
    other = classroom.start_session(other_trainer, "quick-migration-2008")
    stranger = classroom.join(other, "Zed")
    as_user(client, trainer)
    url = reverse("training:solution", args=[session.pk])
    for bad in ("abc", "\u00b2", "1" * 40, str(stranger.pk), "-1"):
        assert client.get(url, {"trainee": bad}).status_code == 404, bad
        assert client.get(reverse("training:dashboard", args=[session.pk]), {"trainee": bad}).status_code == 404
    assert client.get(reverse("training:solution", args=[other.pk])).status_code == 404
    as_user(client, stranger.user)
    assert client.get(url).status_code == 403


def test_an_exercise_stored_without_a_solution_shows_none_and_offers_no_next_step(client, trainer):
    session = classroom.start_session(trainer, "quick-migration-2008")
    session.spec.pop("solution")  # as stored by a session started before exercises had solutions
    session.save(update_fields=["spec"])
    ann = classroom.join(session, "Ann")
    as_user(client, trainer)
    page = client.get(reverse("training:dashboard", args=[session.pk])).content.decode()
    assert 'id="solution"' not in page and ">Solution</a>" not in page
    assert "has no written solution" in client.get(reverse("training:solution", args=[session.pk])).content.decode()
    as_user(client, ann.user)
    for _ in session.spec["hints"]:
        client.post(reverse("training:hint"))
    assert "Show me the next step" not in panel(client, ann)
    reveal(client, 0)
    ann.refresh_from_db()
    assert ann.steps_shown == [] and len(ann.hints_used) == 3


# -- 2. "Show me the next step" --------------------------------------------------------------------

def test_the_next_step_comes_after_the_hints_reveals_the_first_open_objective_and_counts(client, session, trainer):
    ann = classroom.join(session, "Ann")
    vm = ann.variables["vm"]
    as_user(client, ann.user)
    assert "Show me the next step" not in panel(client, ann)  # a written hint is left
    assert "Show me the next step" not in reveal(client, 0)
    ann.refresh_from_db()
    assert ann.steps_shown == []
    text = client.post(reverse("training:hint")).content.decode()
    assert "Look at the nodes." in text and "Show me the next step" in text
    # The first objective not met: "off", nothing else.
    text = reveal(client, 0)
    assert "<strong>Next step:</strong> Power off contoso3" in text
    assert "Click Nodes \u203a contoso3 \u203a Simulate \u203a Power Off (crash)" in text and vm not in text.split(
        "Next step:")[1].split("</ol>")[0]
    ann.refresh_from_db()
    assert [s["objective"] for s in ann.steps_shown] == ["off"] and ann.hints_taken == 2
    # A second click of the same panel (a double click) reveals nothing more.
    reveal(client, 0)
    ann.refresh_from_db()
    assert len(ann.steps_shown) == 1
    # Bad counts change nothing either.
    for bad in ("", "x", "\u00b2", "-1", "99999999"):
        client.post(reverse("training:next-step"), {"shown": bad})
    ann.refresh_from_db()
    assert len(ann.steps_shown) == 1
    # Ann powers contoso3 off herself: graded again at the click, "off" is met, the next one is "ha" with her VM.
    faults.crash_node(ann.user, Node.objects.get(lab=ann.lab, name="contoso3"))
    text = reveal(client, 1)
    assert f"<strong>Next step:</strong> Make {vm} highly available" in text
    assert f"Click Services and Applications \u203a {vm} \u203a Turn Off" in text and "\u2039vm\u203a" not in text
    ann.refresh_from_db()
    assert [s["objective"] for s in ann.steps_shown] == ["off", "ha"] and ann.hints_taken == 3
    # The trainer's row counts every help asked for.
    as_user(client, trainer)
    row = client.get(reverse("training:dashboard", args=[session.pk])).content.decode()
    row = row[row.index(f'id="trainee-{ann.pk}"'):]
    assert re.search(r'class="num hints-cell"[^>]*>3 <small class="muted">\(2 steps\)</small>', row)
    csv = client.get(reverse("training:export", args=[session.pk])).content.decode().splitlines()
    assert csv[1].split(",")[4:6] == ["3", "2"]


def test_every_step_shown_then_nothing_more_and_not_after_the_session_ended(client, trainer):
    session = with_solution(classroom.start_session(trainer, "quick-migration-2008"), hints=[])
    ann = classroom.join(session, "Ann")
    as_user(client, ann.user)
    text = panel(client, ann)
    for n in range(4):
        assert "Show me the next step" in text
        text = reveal(client, n)
    ann.refresh_from_db()
    assert [s["objective"] for s in ann.steps_shown] == ["off", "ha", "online", "moved"]
    text = reveal(client, 4)
    assert "Show me the next step" not in text
    ann.refresh_from_db()
    assert len(ann.steps_shown) == 4
    bob_session = with_solution(classroom.start_session(trainer, "quick-migration-2008"), hints=[])
    bob = classroom.join(bob_session, "Bob")
    classroom.end(bob_session)
    as_user(client, bob.user)
    assert "Show me the next step" not in reveal(client, 0)
    bob.refresh_from_db()
    assert bob.steps_shown == []


def test_a_reset_starts_the_steps_again(client, session, trainer):
    ann = classroom.join(session, "Ann")
    classroom.reveal_hint(ann)
    classroom.reveal_next_step(ann, 0)
    ann.refresh_from_db()
    assert ann.hints_taken == 2
    ann = classroom.reset(ann)
    assert ann.steps_shown == [] and ann.hints_taken == 0


def test_a_trainee_never_sees_another_trainees_steps_or_lab(client, session, trainer):
    ann = classroom.join(session, "Ann")
    bob = trainee_named(session, "Bob", vm_avoid=ann.variables["vm"])
    for t in (ann, bob):
        classroom.reveal_hint(t)
    faults.crash_node(ann.user, Node.objects.get(lab=ann.lab, name="contoso3"))
    faults.crash_node(bob.user, Node.objects.get(lab=bob.lab, name="contoso3"))
    as_user(client, bob.user)
    text = reveal(client, 0)
    assert f"Make {bob.variables['vm']} highly available" in text and ann.variables["vm"] not in text
    bob.refresh_from_db()
    ann.refresh_from_db()
    assert len(bob.steps_shown) == 1 and ann.steps_shown == []
    # Bob cannot open Ann's console (her panel), her replay, the dashboard or its solution.
    assert client.get(reverse("console:root", args=[ann.lab_id])).status_code == 404
    assert client.get(reverse("training:replay", args=[ann.pk])).status_code == 404
    assert client.get(reverse("training:dashboard", args=[session.pk])).status_code == 403
    assert client.get(reverse("training:solution", args=[session.pk]), {"trainee": ann.pk}).status_code == 403
    # Ann's own panel shows none of Bob's steps; the engine's push of her panel neither.
    as_user(client, ann.user)
    assert "Next step:" not in panel(client, ann)
    pushed = grading.after_changes([ann.lab_id, bob.lab_id])
    assert "Next step:" not in pushed[ann.lab_id] and "Next step:" in pushed[bob.lab_id]
    # Someone who is no trainee has no next step to reveal.
    as_user(client, trainer)
    assert client.post(reverse("training:next-step"), {"shown": "0"}).status_code == 404
    client.logout()
    assert client.post(reverse("training:next-step"), {"shown": "0"}).status_code == 302


def test_two_trainees_reveal_at_once_each_their_own(client, session):
    ann = classroom.join(session, "Ann")
    bob = trainee_named(session, "Bob", vm_avoid=ann.variables["vm"])
    for t in (ann, bob):
        classroom.reveal_hint(t)
        classroom.reveal_next_step(t, 0)
    classroom.reveal_next_step(ann, 1)
    ann.refresh_from_db()
    bob.refresh_from_db()
    assert [s["objective"] for s in ann.steps_shown] == ["off", "ha"]
    assert [s["objective"] for s in bob.steps_shown] == ["off"]
    assert f"Make {ann.variables['vm']} highly available" in grading.after_changes([ann.lab_id])[ann.lab_id]


def test_the_next_step_is_refused_without_csrf(session):
    from django.test import Client
    ann = classroom.join(session, "Ann")
    classroom.reveal_hint(ann)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ann.user)
    assert strict.post(reverse("training:next-step"), {"shown": "0"}).status_code == 403
    ann.refresh_from_db()
    assert ann.steps_shown == []


# -- 3 and 4. each trainee's own texts, and why an objective is not met ------------------------------

def test_rows_show_each_trainees_own_texts_and_reasons_the_headers_the_generic_text(
        client, session, trainer, make_runner):
    ann = classroom.join(session, "Ann")
    bob = trainee_named(session, "Bob", vm_avoid=ann.variables["vm"])
    out = make_runner().tick()
    table = out[f"training.{session.pk}"]
    head = table[:table.index("</thead>")]
    assert "Make \u2039vm\u203a highly available" in head and ann.variables["vm"] not in head
    for t, other in ((ann, bob), (bob, ann)):
        row = table[table.index(f'id="trainee-{t.pk}"'):]
        row = row[:row.index("</tr>")]
        vm = t.variables["vm"]
        assert f'<small class="objective-text">Make {vm} highly available</small>' in row
        assert f'<small class="objective-reason">{vm} is not a cluster role yet</small>' in row
        assert "<small class=\"objective-text\">Power off contoso3" not in row  # no variable: the header says it
        assert '<small class="objective-reason">contoso3 is powered on, not off</small>' in row
        assert other.variables["vm"] not in row
    # The page as loaded shows what the push shows.
    as_user(client, trainer)
    page = client.get(reverse("training:dashboard", args=[session.pk])).content.decode()
    assert f"{ann.variables['vm']} is not a cluster role yet" in page
    # Once met, the reason goes.
    faults.crash_node(ann.user, Node.objects.get(lab=ann.lab, name="contoso3"))
    table = make_runner().tick()[f"training.{session.pk}"]
    row = table[table.index(f'id="trainee-{ann.pk}"'):table.index(f'id="trainee-{bob.pk}"')] \
        if table.index(f'id="trainee-{ann.pk}"') < table.index(f'id="trainee-{bob.pk}"') else \
        table[table.index(f'id="trainee-{ann.pk}"'):]
    assert "contoso3 is powered on, not off" not in row.split("</tr>")[0]


def test_the_trainees_panel_shows_reasons_only_where_the_exercise_allows(client, trainer, make_runner):
    hidden = with_solution(classroom.start_session(trainer, "quick-migration-2008"))
    shown = with_solution(classroom.start_session(trainer, "quick-migration-2008"), show_reasons=True)
    ann, bob = classroom.join(hidden, "Ann"), classroom.join(shown, "Bob")
    make_runner().tick()
    as_user(client, ann.user)
    assert "is not a cluster role yet" not in panel(client, ann)
    as_user(client, bob.user)
    text = panel(client, bob)
    assert f'{bob.variables["vm"]} is not a cluster role yet</small>' in text and 'objective-reason hint' in text


def test_names_are_escaped_in_rows_links_and_the_solution(client, session, trainer, make_runner):
    evil = classroom.join(session, "<img src=x onerror=alert(1)>")
    make_runner().tick()
    as_user(client, trainer)
    page = client.get(reverse("training:dashboard", args=[session.pk])).content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    text = client.get(reverse("training:solution", args=[session.pk]), {"trainee": evil.pk}).content.decode()
    assert "<img src=x" not in text and "Solution for &lt;img" in text


def table_of(push):
    """The trainee table of a dashboard push (the joining box follows it)."""
    return push[:push.index('<div id="class-joining"')]


def row_of(table, trainee):
    start = table.index(f'id="trainee-{trainee.pk}"')
    return table[start:table.index("</tr>", start)]


def test_the_table_draws_again_only_the_rows_that_changed_and_every_change_shows(session, make_runner, monkeypatch):
    """Rows are kept between pushes (fcm/training/rows.py): a kept row is the row drawn afresh, a row
    whose trainee or session changed is drawn again, and the others are not drawn at all."""
    ann = classroom.join(session, "Ann")
    bob = trainee_named(session, "Bob", vm_avoid=ann.variables["vm"])
    pushed = table_of(make_runner().tick()[f"training.{session.pk}"])
    rows.forget()
    assert grading.trainee_table(session) == pushed  # what was kept is what a fresh drawing shows

    drawn = []
    real = rows.render_to_string
    monkeypatch.setattr(rows, "render_to_string", lambda name, ctx: drawn.append(ctx["row"]["trainee"].pk)
                        or real(name, ctx))
    assert grading.trainee_table(session) == pushed and drawn == []
    faults.crash_node(ann.user, Node.objects.get(lab=ann.lab, name="contoso3"))  # meets "off"
    table = table_of(make_runner().tick()[f"training.{session.pk}"])
    assert drawn == [ann.pk]
    assert 'objective-cell met" data-objective="off"' in row_of(table, ann)
    assert row_of(table, bob) == row_of(pushed, bob)
    # A field the grader does not write (the last action) is a change too.
    Trainee.objects.filter(pk=bob.pk).update(last_action="Moved Guest1")
    assert "Moved Guest1" in row_of(grading.trainee_table(session), bob) and drawn == [ann.pk, bob.pk]
    # So is the session's: once it has ended, no row offers a reset.
    session.refresh_from_db()
    assert "Reset lab" in row_of(grading.trainee_table(session), ann)
    classroom.end(session)
    session.refresh_from_db()
    table = grading.trainee_table(session)
    assert "Reset lab" not in row_of(table, ann) and "Reset lab" not in row_of(table, bob)


# -- 5. the demo lab of a session, and ending it -----------------------------------------------------

def test_the_demo_lab_is_named_after_its_session(trainer, other_trainer):
    a = classroom.start_session(trainer, "maintenance-window")
    b = classroom.start_session(other_trainer, "maintenance-window")
    day = timezone.localtime(a.created_at)
    assert a.demo_lab.title == f"Maintenance window \u2014 {a.code}, {day.day} {day:%b %Y} (trainer)"
    assert b.demo_lab.title != a.demo_lab.title and b.code in b.demo_lab.title
    assert classroom.demo_lab_title(TrainingSession(title="T", code="ABC123", created_at=timezone.make_aware(
        timezone.datetime(2026, 12, 1, 9, 0)))) == "T \u2014 ABC123, 1 Dec 2026 (trainer)"


def lab_rows(lab_id):
    """How many rows the lab has in the engine's and inventory's tables."""
    return (Operation.objects.filter(lab_id=lab_id).count(), Outbox.objects.filter(lab_id=lab_id).count(),
            ClusterEvent.objects.filter(lab_id=lab_id).count(), Node.objects.filter(lab_id=lab_id).count(),
            VirtualMachine.objects.filter(lab_id=lab_id).count())


def busy(trainee):
    """A lab with an operation running, outbox rows and events of its own."""
    faults.crash_node(trainee.user, Node.objects.get(lab=trainee.lab, name="contoso3"))
    assert Operation.objects.filter(lab=trainee.lab).exists() or ClusterEvent.objects.filter(lab=trainee.lab).exists()
    return trainee


def test_ending_asks_what_to_keep_and_bad_input_changes_nothing(client, session, trainer):
    ann = classroom.join(session, "Ann")
    as_user(client, trainer)
    page = client.get(reverse("training:dashboard", args=[session.pk])).content.decode()
    assert "End session..." in page and 'name="demo_lab" value="remove"' in page and \
        'name="trainee_labs" value="remove"' in page and session.demo_lab.title in page
    url = reverse("training:action", args=[session.pk, "end"])
    for data in ({}, {"demo_lab": "keep"}, {"demo_lab": "nuke", "trainee_labs": "keep"},
                 {"demo_lab": "keep", "trainee_labs": ["remove", "<script>"]}):
        text = client.post(url, data).content.decode()
        assert "field-error" in text and "<script>" not in text, data
    session.refresh_from_db()
    assert session.is_open and Lab.objects.filter(pk__in=[ann.lab_id, session.demo_lab_id]).count() == 2
    assert not AuditEntry.objects.filter(action="end session").exists()


def test_ending_and_removing_every_lab_deletes_them_cleanly_and_nothing_else(client, session, trainer, other_trainer,
                                                                            make_runner):
    ann, bob = busy(classroom.join(session, "Ann")), classroom.join(session, "Bob")
    other = classroom.start_session(other_trainer, "quick-migration-2008")
    zed = busy(classroom.join(other, "Zed"))
    mine = Lab.objects.create(name="maria-own", owner=trainer)
    before = {lab_id: lab_rows(lab_id) for lab_id in (zed.lab_id, other.demo_lab_id, mine.pk)}
    removed = [ann.lab_id, bob.lab_id, session.demo_lab_id]
    as_user(client, trainer)
    text = said(client.post(reverse("training:action", args=[session.pk, "end"]),
                            {"demo_lab": "remove", "trainee_labs": "remove"}))
    assert "The session has ended." in text and "Your demo lab and the trainees' labs were removed (3 labs)." in text
    assert not Lab.objects.filter(pk__in=removed).exists()
    assert all(lab_rows(lab_id) == (0, 0, 0, 0, 0) for lab_id in removed)
    assert {lab_id: lab_rows(lab_id) for lab_id in before} == before
    session.refresh_from_db()
    assert not session.is_open and session.demo_lab_id is None
    # Results stay: the rows, the CSV, the replay (without the lab's events) all answer.
    assert set(session.trainees.values_list("lab", flat=True)) == {None}
    page = client.get(reverse("training:dashboard", args=[session.pk])).content.decode()
    assert "Ann" in page and "Open my demo lab" not in page and "Remove labs..." not in page
    assert client.get(reverse("training:export", args=[session.pk])).status_code == 200
    assert client.get(reverse("training:replay", args=[ann.pk])).status_code == 200
    assert AuditEntry.objects.get(action="end session").detail.startswith("Your demo lab and the trainees' labs")
    # The engine's next pass has nothing left to do for them; their consoles answer 404.
    out = make_runner().tick()
    assert not set(out) & set(removed) and Outbox.objects.filter(lab_id__in=removed).count() == 0
    assert client.get(reverse("console:root", args=[removed[0]])).status_code == 404


def test_ending_keeping_labs_then_removing_them_later(client, session, trainer, make_runner):
    ann = busy(classroom.join(session, "Ann"))
    as_user(client, trainer)
    text = client.post(reverse("training:action", args=[session.pk, "end"]),
                       {"demo_lab": "keep", "trainee_labs": "keep"}).content.decode()
    assert "Every lab is kept for review." in text and "Remove labs..." in text
    assert Lab.objects.filter(pk__in=[ann.lab_id, session.demo_lab_id]).count() == 2
    # The trainee's lab is read-only now; the trainer watches it still.
    assert client.get(reverse("console:root", args=[ann.lab_id])).status_code == 200
    make_runner().tick()
    url = reverse("training:action", args=[session.pk, "remove-labs"])
    assert "field-error" in client.post(url, {"demo_lab": "gone"}).content.decode()
    assert Lab.objects.filter(pk__in=[ann.lab_id, session.demo_lab_id]).count() == 2
    text = said(client.post(url, {"demo_lab": "keep", "trainee_labs": "remove"}))
    assert "The trainees' labs were removed (1 lab). Your demo lab is kept." in text
    assert not Lab.objects.filter(pk=ann.lab_id).exists() and Lab.objects.filter(pk=session.demo_lab_id).exists()
    # Ending twice is refused where it was asked, and nothing changes.
    text = client.post(reverse("training:action", args=[session.pk, "end"]),
                       {"demo_lab": "remove", "trainee_labs": "remove"}).content.decode()
    assert "This session has ended." in text and Lab.objects.filter(pk=session.demo_lab_id).exists()


def test_removing_labs_of_an_open_session_is_refused(client, session, trainer):
    ann = classroom.join(session, "Ann")
    as_user(client, trainer)
    text = client.post(reverse("training:action", args=[session.pk, "remove-labs"]),
                       {"demo_lab": "remove", "trainee_labs": "remove"}).content.decode()
    assert "End the session before removing its labs." in text
    assert Lab.objects.filter(pk__in=[ann.lab_id, session.demo_lab_id]).count() == 2
    with pytest.raises(classroom.ClassroomError):
        classroom.remove_labs(session, True, True)


def test_another_trainer_cannot_end_or_clear_a_session(client, session, trainer, other_trainer):
    ann = classroom.join(session, "Ann")
    as_user(client, other_trainer)
    for action in ("end", "remove-labs"):
        r = client.post(reverse("training:action", args=[session.pk, action]),
                        {"demo_lab": "remove", "trainee_labs": "remove"})
        assert r.status_code == 404
    session.refresh_from_db()
    assert session.is_open and Lab.objects.filter(pk=ann.lab_id).exists()


def test_ending_is_refused_without_csrf(session, trainer):
    from django.test import Client
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(trainer)
    r = strict.post(reverse("training:action", args=[session.pk, "end"]), {"demo_lab": "remove", "trainee_labs": "keep"})
    assert r.status_code == 403
    session.refresh_from_db()
    assert session.is_open and session.demo_lab_id


# -- 6. who sees which lab ---------------------------------------------------------------------------

def lab_list(client, user):
    return as_user(client, user).get(reverse("console:lab-list")).content.decode()


def test_the_administrator_sees_every_lab_trainees_included_read_only(client, admin_user, session, trainer):
    ann = classroom.join(session, "Ann")
    page = lab_list(client, admin_user)
    assert f"/labs/{ann.lab_id}/" in page and f"/labs/{session.demo_lab_id}/" in page
    assert "(a trainee's lab: read-only)" in page and f"(trainee, {session.code})" in page
    page = client.get(reverse("console:root", args=[ann.lab_id])).content.decode()
    assert "Watching <strong>Ann</strong>" in page and "read-only" in page
    cluster = ann.lab.clusters.get()
    role = Role.objects.get(cluster=cluster, name="Guest1")
    r = client.post(reverse("console:role-power", args=[ann.lab_id, cluster.pk, role.pk]), {"action": "stop"})
    assert r.status_code == 403 and Role.objects.get(pk=role.pk).state == "Online"
    # Every trainer's sessions and dashboards.
    assert session.code in client.get(reverse("training:sessions")).content.decode()
    assert client.get(reverse("training:dashboard", args=[session.pk])).status_code == 200


def test_a_trainer_sees_their_own_trainees_labs_read_only_and_no_one_elses(
        client, session, trainer, other_trainer):
    ann = classroom.join(session, "Ann")
    other = classroom.start_session(other_trainer, "quick-migration-2008")
    zed = classroom.join(other, "Zed")
    page = lab_list(client, trainer)
    assert f"/labs/{session.demo_lab_id}/" in page and f"/labs/{other.demo_lab_id}/" not in page
    assert f"/labs/{ann.lab_id}/" not in page and f"/labs/{zed.lab_id}/" not in page  # the dashboard lists them
    assert client.get(reverse("console:root", args=[ann.lab_id])).status_code == 200
    for lab_id in (zed.lab_id, other.demo_lab_id):
        assert client.get(reverse("console:root", args=[lab_id])).status_code == 404
    cluster = zed.lab.clusters.get()
    node = Node.objects.get(cluster=cluster, name="contoso3")
    r = client.post(reverse("console:node-action", args=[zed.lab_id, cluster.pk, node.pk]), {"action": "pause"})
    assert r.status_code == 404 and Node.objects.get(pk=node.pk).state == "Up"
    for name, args in (("dashboard", [other.pk]), ("solution", [other.pk]), ("export", [other.pk]),
                       ("qr", [other.pk]), ("reset", [other.pk, zed.pk]), ("reset", [session.pk, zed.pk]),
                       ("replay", [zed.pk])):
        method = client.post if name == "reset" else client.get
        assert method(reverse(f"training:{name}", args=args)).status_code == 404, name
    sessions = client.get(reverse("training:sessions")).content.decode()
    assert session.code in sessions and other.code not in sessions


def test_a_trainee_sees_only_their_own_lab_and_their_sessions_demo(client, session, trainer, other_trainer):
    ann = classroom.join(session, "Ann")
    bob = classroom.join(session, "Bob")
    other = classroom.start_session(other_trainer, "quick-migration-2008")
    page = lab_list(client, bob.user)
    assert f"/labs/{bob.lab_id}/" in page and f"/labs/{session.demo_lab_id}/" in page
    assert f"/labs/{ann.lab_id}/" not in page and f"/labs/{other.demo_lab_id}/" not in page
    for lab_id in (ann.lab_id, other.demo_lab_id, 999999):
        assert client.get(reverse("console:root", args=[lab_id])).status_code == 404
    assert set(Lab.objects.visible_to(bob.user)) == {bob.lab, session.demo_lab}
    for name in ("sessions",):
        assert client.get(reverse(f"training:{name}")).status_code == 403


def test_an_ended_sessions_trainee_lab_is_read_only_and_a_removed_one_is_gone(client, session, trainer):
    ann = classroom.join(session, "Ann")
    classroom.end(session)
    as_user(client, ann.user)
    cluster = ann.lab.clusters.get()
    node = Node.objects.get(cluster=cluster, name="contoso3")
    r = client.post(reverse("console:node-action", args=[ann.lab_id, cluster.pk, node.pk]), {"action": "pause"})
    assert r.status_code == 403 and Node.objects.get(pk=node.pk).state == "Up"
    lab_id = ann.lab_id
    classroom.remove_labs(session, trainee_labs=True)
    assert client.get(reverse("console:root", args=[lab_id])).status_code == 404
    assert client.get(reverse("training:my-lab"))["Location"] == reverse("console:lab-list")
    ann.refresh_from_db()
    assert client.get(reverse("training:replay", args=[ann.pk])).status_code == 200
    assert ann.lab_id is None and Trainee.objects.filter(pk=ann.pk).exists()
    assert timezone.now() - session.created_at < timedelta(hours=1)
