"""Training sessions: joining, isolation of trainees' labs, grading after changes, trainer controls."""

import tomllib

import pytest
from django.core.management import call_command
from django.urls import reverse

from fcm.engine.models import Operation
from fcm.inventory.models import ClusterEvent, Lab, Node, Role, VirtualMachine
from fcm.sim import objectives
from fcm.training import catalogue, classroom
from fcm.training.models import TRAINERS_GROUP, TimelineFrame, Trainee, TrainingSession
from fcm.engine.commands import faults
from fcm.engine import outbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(trainer):
    return classroom.start_session(trainer, "quick-migration-2008")


def join(client, session, name):
    response = client.post(reverse("training:join"), {"code": session.code, "name": name})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Trainee.objects.get(session=session, display_name=name)


def test_every_exercise_in_the_catalogue_loads_and_clones(trainer):
    names = [name for name, _ in catalogue.catalogue()]
    assert len(names) >= 6
    for name in names:
        s = classroom.start_session(trainer, name)
        assert s.demo_lab.owner == trainer and s.demo_lab.nodes.exists()


def test_a_bad_exercise_file_names_its_place():
    good = {"exercise": {"title": "T", "lab": "quick-migration-2008", "duration_minutes": 5},
            "objectives": [{"id": "a", "text": "x", "check": "role"}],
            "solution": [{"objective": "a", "do": "click", "path": ["Nodes"]}]}
    with pytest.raises(catalogue.ExerciseError, match=r"objectives\[0\] \(a\): .*a role check needs role"):
        catalogue.check(good, "x.toml")
    good["objectives"][0]["role"] = "{missing}"
    with pytest.raises(catalogue.ExerciseError, match=r"objectives: unknown variable \{missing\}"):
        catalogue.check(good, "x.toml")
    with pytest.raises(catalogue.ExerciseError, match="renames.Nope: the lab 'quick-migration-2008' has no name"):
        catalogue.check({**good, "renames": {"Nope": "x"}, "objectives": [{"id": "a", "text": "x", "check": "event",
                                                                            "event_id": 1135}]}, "x.toml")
    with pytest.raises(catalogue.ExerciseError, match="exercise.lab: no lab file"):
        catalogue.check({"exercise": {**good["exercise"], "lab": "nowhere"}}, "x.toml")


def test_the_catalogue_refuses_an_exercise_without_a_solution_that_reaches_every_objective():
    base = {"exercise": {"title": "T", "lab": "quick-migration-2008", "duration_minutes": 5},
            "objectives": [{"id": "a", "text": "x", "check": "event", "event_id": 1135},
                           {"id": "b", "text": "y", "check": "event", "event_id": 1069}]}
    click = {"objective": "a", "do": "click", "path": ["Nodes"]}
    cases = [
        (None, r"solution: an exercise needs its \[\[solution\]\]"),
        ([click], r"solution: no step works towards b"),
        ([click, {**click, "objective": "c"}], r"solution\[1\].objective: no objective has the id 'c'"),
        ([click, {**click, "objective": "b", "do": "drag"}], r"solution\[1\].do: must be one of click, choose"),
        ([click, {"objective": "b", "do": "type", "path": []}], r"solution\[1\].path: a type step needs"),
        ([click, {"objective": "b", "do": "type", "path": ["Name"]}], r"solution\[1\].value: must be text"),
        ([click, {"objective": "b", "do": "check", "path": ["X"], "value": "yes"}], r"must be true or false"),
        ([click, {"objective": "b", "do": "click", "path": ["X"], "value": "v"}], r"a click step takes no value"),
        ([click, {**click, "objective": "b", "colour": "red"}], r"solution\[1\]: unknown key\(s\): colour"),
        ([click, {**click, "objective": "b", "path": ["", "X"]}], r"solution\[1\].path: must be a list"),
    ]
    for steps, message in cases:
        with pytest.raises(catalogue.ExerciseError, match=message):
            catalogue.check({**base, "solution": steps} if steps is not None else base, "x.toml")
    checked = catalogue.check({**base, "solution": [click, {"objective": "b", "do": "wait", "value": "Up"}]}, "x.toml")
    assert checked["solution"][1] == {"objective": "b", "do": "wait", "path": [], "value": "Up", "note": ""}


def test_a_rename_may_not_draw_a_name_the_lab_already_uses():
    data = tomllib.loads((catalogue.EXERCISES_DIR / "quick-migration-2008.toml").read_text())
    with pytest.raises(catalogue.ExerciseError, match=r"variables.vm: 'Guest1' would rename 'Guest7' to 'Guest1', "
                                                      r"a name the lab 'quick-migration-2008' already uses"):
        catalogue.check({**data, "variables": {"vm": {"choices": ["Guest5", "Guest1"]}}}, "x.toml")


def test_every_exercise_personalises_its_solution_with_a_trainees_values():
    for name, exercise in catalogue.catalogue():
        values = objectives.choose_variables(exercise["variables"], "t-1")
        steps = catalogue.personalise(exercise, values)["solution"]
        assert "{" not in str([s["path"] for s in steps] + [s["value"] for s in steps]), name


def test_an_address_variable_may_not_draw_an_address_the_lab_already_uses():
    """About one trainee in 25 drew a cluster address that one of the servers had: refused in the file."""
    data = tomllib.loads((catalogue.EXERCISES_DIR / "build-live-migration-cluster.toml").read_text())
    with pytest.raises(catalogue.ExerciseError, match=r"variables.cluster_ip: the range 192.168.100.\{200-250\} "
                                                      r"contains 192.168.100.201, 192.168.100.202, already in use"):
        catalogue.check({**data, "variables": {"cluster_ip": {"ip": "192.168.100.{200-250}"}}}, "x.toml")
    checked = catalogue.check(data, "x.toml")
    lab = str(catalogue.labfile.read(catalogue.labfile.lab_path(checked["lab"])))
    assert not [ip for ip in objectives.possible_values("cluster_ip", checked["variables"]["cluster_ip"])
                if f"'{ip}'" in lab]


def test_join_gives_each_trainee_their_own_lab_with_their_own_names(client, session):
    ann = join(client, session, "Ann")
    client.logout()
    bob = join(client, session, "Bob")
    assert ann.lab != bob.lab and ann.lab.owner == ann.user
    vm_names = {t.display_name: set(VirtualMachine.objects.filter(lab=t.lab).values_list("name", flat=True))
                for t in (ann, bob)}
    assert vm_names["Ann"] == {"Guest1", ann.variables["vm"]} and vm_names["Bob"] == {"Guest1", bob.variables["vm"]}
    # Opening the join link again (a closed tab) leads back to the trainee's own lab.
    assert client.get(reverse("training:join-code", args=[session.code]))["Location"] == \
        reverse("console:root", args=[bob.lab_id])
    # The panel beside the console lists the trainee's own objectives.
    page = client.get(reverse("console:root", args=[bob.lab_id])).content.decode()
    assert page.count('id="exercise"') == 1 and f"Make {bob.variables['vm']} highly available" in page
    # A navigation (or the catch-up listing after a missed push) brings the panel up to date too.
    swap = client.get(reverse("console:root", args=[bob.lab_id]), HTTP_HX_REQUEST="true").content.decode()
    assert swap.count('id="exercise"') == 1 and 'id="exercise" class="exercise-pane" aria-label="Exercise" ' \
        'hx-swap-oob="true"' in swap


def test_join_refusals_are_shown_at_the_field_and_change_nothing(client, session):
    join(client, session, "Ann")
    client.logout()
    labs = Lab.objects.count()
    r = client.post(reverse("training:join"), {"code": session.code, "name": "  ann "})
    assert r.status_code == 200 and "already called ann" in r.content.decode()
    r = client.post(reverse("training:join"), {"code": "ZZZZZZZZ", "name": "Cid"})
    assert "No session is open with this code" in r.content.decode()
    r = client.post(reverse("training:join"), {"code": session.code, "name": "<b>x</b>" * 20})
    assert "at most 40 characters" in r.content.decode()
    assert Lab.objects.count() == labs and Trainee.objects.count() == 1
    classroom.end(session)
    r = client.post(reverse("training:join"), {"code": session.code, "name": "Dee"})
    assert "No session is open with this code" in r.content.decode()


def test_display_names_are_escaped(client, session, trainer):
    join(client, session, "<script>x</script>")
    client.force_login(trainer)
    page = client.get(reverse("training:dashboard", args=[session.pk])).content.decode()
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


def test_a_trainee_sees_only_their_lab_and_the_trainers_demo(client, session, trainer):
    ann = join(client, session, "Ann")
    client.logout()
    bob = join(client, session, "Bob")
    assert set(Lab.objects.visible_to(bob.user)) == {bob.lab, session.demo_lab}
    assert client.get(reverse("console:root", args=[ann.lab_id])).status_code == 404
    assert client.get(reverse("training:dashboard", args=[session.pk])).status_code == 403
    assert client.get(reverse("training:replay", args=[ann.pk])).status_code == 404
    # Follow mode: the trainer's demo lab opens, read-only; actions on it are refused.
    page = client.get(reverse("console:root", args=[session.demo_lab_id])).content.decode()
    assert "following the trainer's lab" in page and "read-only" in page
    cluster = session.demo_lab.clusters.get()
    role = Role.objects.get(cluster=cluster, name="Guest1")
    r = client.post(reverse("console:role-power", args=[session.demo_lab_id, cluster.pk, role.pk]),
                    {"action": "stop"})
    assert r.status_code == 403 and Role.objects.get(pk=role.pk).state == "Online"
    # A trainee does not set the clock: the trainer does, for the class.
    r = client.post(reverse("console:clock", args=[bob.lab_id]), {"action": "pause"})
    assert r.status_code == 403 and Lab.objects.get(pk=bob.lab_id).speed == 1


def test_the_trainer_watches_a_trainees_console_read_only(client, session, trainer):
    ann = join(client, session, "Ann")
    client.force_login(trainer)
    page = client.get(reverse("console:root", args=[ann.lab_id])).content.decode()
    assert "Watching <strong>Ann</strong>" in page and 'class="window no-faults read-only"' in page
    cluster = ann.lab.clusters.get()
    node = Node.objects.get(cluster=cluster, name="contoso3")
    r = client.post(reverse("console:node-action", args=[ann.lab_id, cluster.pk, node.pk]), {"action": "pause"},
                    HTTP_HX_REQUEST="true")
    assert "read-only" in r.content.decode() and Node.objects.get(pk=node.pk).state == "Up"


def test_objectives_tick_after_the_change_and_reach_the_trainer(client, session, trainer, tick_to, make_runner):
    ann = join(client, session, "Ann")
    lab = ann.lab
    cluster = lab.clusters.get()
    role = Role.objects.get(cluster=cluster, name="Guest1")
    r = client.post(reverse("console:role-move", args=[lab.pk, cluster.pk, role.pk, "quick"]),
                    {"target": Node.objects.get(lab=lab, name="contoso4").pk})
    assert r.status_code in (200, 204, 302), r.content.decode()[:500]
    assert Operation.objects.filter(lab=lab, kind="quick-migration").exists()
    out = make_runner().tick()  # the click is graded at the next tick
    ann.refresh_from_db()
    assert ann.last_action.startswith("Role move") and "moved" not in ann.met
    assert f"training.{session.pk}" in out and 'id="trainees"' in out[f"training.{session.pk}"]
    tick_to(lab, 600)
    out = make_runner().tick()
    ann.refresh_from_db()
    assert "moved" in ann.met and ann.progress == 33
    row = out.get(f"training.{session.pk}", "")
    assert 'data-objective="moved"' in row or "moved" in ann.met
    assert TimelineFrame.objects.filter(trainee=ann).count() >= 2


def test_fault_injection_reaches_only_the_chosen_lab(client, session, trainer):
    ann = join(client, session, "Ann")
    client.logout()
    bob = join(client, session, "Bob")
    client.force_login(trainer)
    r = client.post(reverse("training:action", args=[session.pk, "inject"]),
                    {"fault": "crash-node|contoso3", "target": str(ann.pk)})
    assert "in 1 lab: Ann" in r.content.decode()
    assert Node.objects.get(lab=ann.lab, name="contoso3").power_state == "Off"
    assert Node.objects.get(lab=bob.lab, name="contoso3").power_state == "On"
    assert Node.objects.get(lab=session.demo_lab, name="contoso3").power_state == "On"
    r = client.post(reverse("training:action", args=[session.pk, "inject"]),
                    {"fault": "crash-node|contoso3", "target": "all"})
    text = r.content.decode()
    assert "in 1 lab: Bob" in text and "Ann: contoso3 is already off." in text
    r = client.post(reverse("training:action", args=[session.pk, "inject"]), {"fault": "", "target": "all"})
    assert "Choose the failure to cause." in r.content.decode()
    r = client.post(reverse("training:action", args=[session.pk, "inject"]),
                    {"fault": "crash-node|nosuch", "target": "all"})
    assert "Select a valid choice" in r.content.decode()


def test_the_event_history_of_the_lab_file_does_not_count(trainer, tick_to, make_runner):
    s = classroom.start_session(trainer, "survive-host-failure")
    t = classroom.join(s, "Ann")
    assert ClusterEvent.objects.filter(lab=t.lab).exists() is False or t.first_event_id >= \
        ClusterEvent.objects.filter(lab=t.lab).order_by("-pk").values_list("pk", flat=True).first()
    make_runner().tick()
    t.refresh_from_db()
    assert "crashed" not in t.met
    faults.crash_node(t.user, Node.objects.get(lab=t.lab, name="HQ-HV2"))
    tick_to(t.lab, 30)
    make_runner().tick()
    t.refresh_from_db()
    assert "crashed" in t.met and "restarted" not in t.met


def test_broadcast_clock_reset_end_and_export(client, session, trainer, make_runner):
    ann = join(client, session, "Ann")
    client.force_login(trainer)
    url = lambda action: reverse("training:action", args=[session.pk, action])  # noqa: E731
    r = client.post(url("broadcast"), {"text": ""})
    assert "Type the message to send." in r.content.decode()
    client.post(url("broadcast"), {"text": "Break until 11:00"})
    out = make_runner().tick()
    assert "Break until 11:00" in out[ann.lab_id] and "Break until 11:00" in out[session.demo_lab_id]
    client.post(url("clock"), {"speed": "0"})
    assert {Lab.objects.get(pk=ann.lab_id).speed, Lab.objects.get(pk=session.demo_lab_id).speed} == {0}
    r = client.post(url("clock"), {"speed": "7"})
    assert "Choose pause or one of the speeds." in r.content.decode()
    old_lab = ann.lab_id
    outbox.mark(old_lab, "exercise")
    client.post(reverse("training:reset", args=[session.pk, ann.pk]))
    ann.refresh_from_db()
    assert ann.lab_id != old_lab and not Lab.objects.filter(pk=old_lab).exists() and ann.met == {}
    # The old lab's open consoles are told by the engine's next pass (the view writes, the loop pushes).
    out = make_runner().tick()
    assert "Your lab has been reset" in out[old_lab] and reverse("training:my-lab") in out[old_lab]
    assert "Your lab has been reset" not in out.get(ann.lab_id, "")
    trainee_client = type(client)()
    trainee_client.force_login(ann.user)
    assert trainee_client.get(reverse("training:my-lab"))["Location"] == reverse("console:root", args=[ann.lab_id])
    # The lab list shows a trainee's lab to that trainee, not to the trainer (the dashboard lists them).
    assert f"/labs/{ann.lab_id}/" in trainee_client.get(reverse("console:lab-list")).content.decode()
    assert f"/labs/{ann.lab_id}/" not in client.get(reverse("console:lab-list")).content.decode()
    csv = client.get(reverse("training:export", args=[session.pk])).content.decode()
    assert csv.splitlines()[0].startswith("Trainee,Progress %,Finished,Time,Hints used,Next steps shown,Make")
    assert csv.splitlines()[1].startswith("Ann,0,no,")
    client.post(url("end"), {"demo_lab": "keep", "trainee_labs": "keep"})
    session.refresh_from_db()
    assert not session.is_open
    # The trainee's lab is read-only once the session has ended.
    client.force_login(ann.user)
    cluster = ann.lab.clusters.get()
    node = Node.objects.get(cluster=cluster, name="contoso3")
    r = client.post(reverse("console:node-action", args=[ann.lab_id, cluster.pk, node.pk]), {"action": "pause"})
    assert r.status_code == 403 and Node.objects.get(pk=node.pk).state == "Up"


def test_hints_are_recorded(client, session):
    ann = join(client, session, "Ann")
    r = client.post(reverse("training:hint"))
    assert "must be off or saved" in r.content.decode() and "2 left" in r.content.decode()
    ann.refresh_from_db()
    assert len(ann.hints_used) == 1


def test_replay_scrubs_through_the_timeline(client, session, trainer, tick_to, make_runner):
    ann = join(client, session, "Ann")
    make_runner().tick()
    faults.crash_node(ann.user, Node.objects.get(lab=ann.lab, name="contoso3"))
    tick_to(ann.lab, 120)
    make_runner().tick()
    frames = TimelineFrame.objects.filter(trainee=ann).count()
    assert frames >= 2
    first = client.get(reverse("training:replay", args=[ann.pk]), {"frame": 1}).content.decode()
    last = client.get(reverse("training:replay", args=[ann.pk]), {"frame": frames}).content.decode()
    assert "Step 1 of" in first and "<td>Up</td>" in first and "1135" not in first
    assert "1135" in last and "<td>Down</td>" in last


def test_createtrainer_makes_a_trainer_and_prints_a_link(capsys):
    call_command("createtrainer", "maria")
    out = capsys.readouterr().out
    assert "/login/" in out
    from django.contrib.auth import get_user_model
    assert get_user_model().objects.get(username="maria").groups.filter(name=TRAINERS_GROUP).exists()


def test_qr_code_and_sessions_page(client, session, trainer):
    client.force_login(trainer)
    svg = client.get(reverse("training:qr", args=[session.pk]))
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    page = client.get(reverse("training:sessions")).content.decode()
    assert session.code in page and "Survive a host failure" in page
    assert "Training sessions..." in client.get(reverse("console:lab-list")).content.decode()
    client.force_login(classroom.join(session, "Ann").user)
    assert "Training sessions..." not in client.get(reverse("console:lab-list")).content.decode()
    client.force_login(trainer)
    r = client.post(reverse("training:sessions"), {"scenario": "maintenance-window"})
    assert r.status_code == 302 and TrainingSession.objects.count() == 2
    r = client.post(reverse("training:sessions"), {"scenario": "../../etc/passwd"})
    assert r.status_code == 200 and "Select a valid choice" in r.content.decode()


def test_sessions_in_lab_administration(admin_client, session):
    classroom.join(session, "Ann")
    assert admin_client.get(reverse("admin:training_trainingsession_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:training_trainingsession_change", args=[session.pk])).content.decode()
    assert session.code in page and "Ann" in page


def test_last_action_names_the_wizard(client, session):
    ann = join(client, session, "Ann")
    client.post(reverse("wizards:start", args=[ann.lab_id, "validate"]), HTTP_HX_REQUEST="true")
    ann.refresh_from_db()
    assert ann.last_action.startswith("Wizard validate")


def test_the_dashboard_and_a_trainee_console_run_a_constant_number_of_queries(client, session, trainer, make_runner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url, user):
        client.force_login(user)
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = classroom.join(session, "Ann")
    dashboard = reverse("training:dashboard", args=[session.pk])
    console = reverse("console:root", args=[first.lab_id])
    few = count(dashboard, trainer), count(console, first.user)
    for name in ("Bob", "Cid", "Dee"):
        classroom.join(session, name)
    make_runner().tick()
    assert (count(dashboard, trainer), count(console, first.user)) == few


def test_a_values_word_repeats_a_class_and_a_bad_word_is_refused_at_the_field(client, trainer):
    client.force_login(trainer)
    r = client.post(reverse("training:sessions"), {"scenario": "quick-migration-2008", "values_seed": "no spaces!"})
    assert r.status_code == 200 and "Use letters, digits and hyphens only." in r.content.decode()
    assert not TrainingSession.objects.exists()
    drawn = []
    for _ in range(2):
        r = client.post(reverse("training:sessions"), {"scenario": "quick-migration-2008", "values_seed": "class-7"})
        assert r.status_code == 302
        session = TrainingSession.objects.latest("pk")
        assert session.values_seed == "class-7"
        drawn.append([classroom.join(session, name).variables for name in ("Ann", "Bob", "Cid")])
    assert drawn[0] == drawn[1]

    plain = classroom.start_session(trainer, "quick-migration-2008")
    assert plain.values_seed == "" and classroom.values_seed(classroom.join(plain, "Ann")).startswith(f"{plain.pk}-")
