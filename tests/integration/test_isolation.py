"""One lab never stalls another: a failing lab's pass is caught for it alone, retried with back-off and
shown; a busy lab's pass has a step budget; the product's one-validation-at-a-time and the simulator's
50-operation limit refuse with their own words. Every tick is at a chosen wall time."""
import html
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from fcm.engine import errors, health, lifecycle
from fcm.engine.commands import moves, roles
from fcm.engine.commands.clusters import start_validation
from fcm.engine.models import LabHealth, Operation, Outbox, ValidationReport
from fcm.engine.runner import STEPS_PER_LAB_PASS
from fcm.inventory.models import Lab, Node, Role, VirtualMachine
from fcm.training import classroom, grading
from fcm.training.models import TRAINERS_GROUP

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true", "HX-Target": "dialog-host"}


def running_vms(lab, count):
    vms = list(VirtualMachine.objects.filter(lab=lab, state=VirtualMachine.State.RUNNING).order_by("pk")[:count])
    assert len(vms) == count, "the generated lab has fewer running VMs than the test needs"
    return vms


def shut_down(owner, vms):
    return [roles.request_power(owner, vm, "shutdown") for vm in vms]


def later(minutes=30):
    """A wall time by which every short operation begun now is due (labs run at x1 here)."""
    return timezone.now() + timedelta(minutes=minutes)


def break_clock(lab):
    """An absurd clock speed, written to the database past every validator: sim_now() refuses it by name."""
    Lab.objects.filter(pk=lab.pk).update(speed=1e300)


# -- (a) a failing lab does not stop the others ------------------------------------------------------------

def test_a_lab_whose_clock_overflows_fails_alone_and_the_others_advance_in_the_same_tick(
        make_generated_lab, owner, make_runner):
    broken, healthy = make_generated_lab(name="broken"), make_generated_lab(name="healthy")
    [broken_op] = shut_down(owner, running_vms(broken, 1))
    [healthy_op] = shut_down(owner, running_vms(healthy, 1))
    break_clock(broken)
    out = make_runner().tick(to=later())
    healthy_op.refresh_from_db()
    broken_op.refresh_from_db()
    assert healthy_op.state == "completed"
    assert VirtualMachine.objects.get(pk=healthy_op.virtual_machine_id).state == VirtualMachine.State.OFF
    assert broken_op.state == "running"  # untouched: its pass stopped at its first step
    record = LabHealth.objects.get(lab=broken)
    assert record.error == "LabClockError" and record.failures == 1 and record.stage == "pass"
    assert not LabHealth.objects.filter(lab=healthy).exists()
    assert "The simulator could not advance this lab: LabClockError: The clock of lab broken is set to 1e+300 x" in out[broken.pk]
    assert 'id="lab-health" hx-swap-oob="true"' in out[broken.pk]
    assert "lab-health" not in out.get(healthy.pk, "")
    # The broken lab's own outbox waits for it; the healthy lab's was taken.
    assert Outbox.objects.filter(lab=broken).exists() and not Outbox.objects.filter(lab=healthy).exists()


# -- (b) back-off, recovery ----------------------------------------------------------------------------

def test_back_off_doubles_to_a_minute():
    assert [health.retry_delay_s(n) for n in (1, 2, 3, 4, 5, 6, 7, 12)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_failing_lab_is_not_retried_before_its_time_and_recovers_when_repaired(
        make_generated_lab, owner, make_runner):
    lab = make_generated_lab()
    [op] = shut_down(owner, running_vms(lab, 1))
    speed = lab.speed
    break_clock(lab)
    t0 = later()
    make_runner().tick(to=t0)
    first = LabHealth.objects.get(lab=lab)
    assert (first.failures, first.retry_at) == (1, t0 + timedelta(seconds=1))

    make_runner().tick(to=t0 + timedelta(seconds=0.5))  # before the retry time: left alone
    assert LabHealth.objects.get(lab=lab).failed_at == t0

    make_runner().tick(to=t0 + timedelta(seconds=1))  # retried, fails again: twice the wait
    second = LabHealth.objects.get(lab=lab)
    assert (second.failures, second.failed_at, second.first_failed_at) == (2, t0 + timedelta(seconds=1), t0)
    assert second.retry_at == t0 + timedelta(seconds=3)
    assert "It retries in 2 s (failed 2 times so far)" in second.notice(t0 + timedelta(seconds=1))

    Lab.objects.filter(pk=lab.pk).update(speed=speed)  # repaired
    out = make_runner().tick(to=t0 + timedelta(seconds=2))
    assert LabHealth.objects.filter(lab=lab).exists()  # still waiting for its retry time
    assert lab.pk not in out
    out = make_runner().tick(to=t0 + timedelta(seconds=3))
    assert not LabHealth.objects.filter(lab=lab).exists()
    op.refresh_from_db()
    assert op.state == "completed"
    assert '<div id="lab-health" hx-swap-oob="true"></div>' in out[lab.pk]  # the notice goes
    assert not Outbox.objects.filter(lab=lab).exists()  # what waited was pushed


# -- (c) the notice on the console and the dashboard ---------------------------------------------------------

def fail_for_lab(monkeypatch, module, name, lab_id, error):
    """Make `module.name(lab, ...)` raise `error` for one lab only; returns the real function (to put back)."""
    real = getattr(module, name)

    def failing(lab, *args, **kwargs):
        if lab.pk == lab_id:
            raise error
        return real(lab, *args, **kwargs)

    monkeypatch.setattr(module, name, failing)
    return real


@pytest.fixture
def trainer(django_user_model):
    user = django_user_model.objects.create_user("maria", password="correct-horse-9")
    user.groups.add(Group.objects.get_or_create(name=TRAINERS_GROUP)[0])
    return user


def test_the_notice_is_pushed_shown_on_a_fresh_console_and_dashboard_and_goes_on_recovery(
        client, trainer, make_runner, monkeypatch):
    session = classroom.start_session(trainer, "quick-migration-2008")
    ann, bob = classroom.join(session, "Ann"), classroom.join(session, "Bob")
    for trainee in (ann, bob):
        role = Role.objects.get(cluster__lab_id=trainee.lab_id, name="Guest1")
        target = Node.objects.filter(cluster=role.cluster).exclude(pk=role.owner_node_id).order_by("name").first()
        assert not moves.request_moves(trainee.user, [role], Operation.Kind.QUICK_MIGRATION, target).refused
    real = fail_for_lab(monkeypatch, lifecycle, "start_queued", ann.lab_id,
                        RuntimeError("the <b>queue</b> is unreadable"))
    t0 = later()
    out = make_runner().tick(to=t0)
    notice = "The simulator could not advance this lab: RuntimeError: the &lt;b&gt;queue&lt;/b&gt; is unreadable."
    assert notice in out[ann.lab_id] and "<b>queue</b>" not in out[ann.lab_id]
    table = out[grading.session_group(session.pk)]
    assert notice in table and table.count("lab-health") == 1  # Ann's row only
    assert "lab-health" not in out.get(bob.lab_id, "")

    client.force_login(ann.user)
    page = client.get(reverse("console:root", args=[ann.lab_id])).content.decode()
    assert notice in page and "It retries in" in page
    client.force_login(bob.user)
    assert "could not advance" not in client.get(reverse("console:root", args=[bob.lab_id])).content.decode()
    client.force_login(trainer)
    dashboard = client.get(reverse("training:dashboard", args=[session.pk])).content.decode()
    assert notice in dashboard

    monkeypatch.setattr(lifecycle, "start_queued", real)
    out = make_runner().tick(to=t0 + timedelta(seconds=1))
    assert '<div id="lab-health" hx-swap-oob="true"></div>' in out[ann.lab_id]
    assert "could not advance" not in out[grading.session_group(session.pk)]
    client.force_login(ann.user)
    assert "could not advance" not in html.unescape(
        client.get(reverse("console:root", args=[ann.lab_id])).content.decode())


def test_a_lab_whose_clock_is_out_of_range_shows_why_and_every_other_page_works(client, trainer):
    session = classroom.start_session(trainer, "quick-migration-2008")
    ann, bob = classroom.join(session, "Ann"), classroom.join(session, "Bob")
    break_clock(Lab.objects.get(pk=ann.lab_id))
    client.force_login(ann.user)
    for headers in ({}, {"HX-Request": "true", "HX-Target": "selection"}):
        response = client.get(reverse("console:root", args=[ann.lab_id]), headers=headers)
        assert response.status_code == 503 and response["Retry-After"] == "60"
        assert "is set to 1e+300 x, outside 0-60 x. An administrator can set its speed in Lab administration." \
            in response.content.decode()
    assert response["HX-Retarget"] == "body"
    assert client.get(reverse("console:lab-list")).status_code == 200
    client.force_login(bob.user)
    assert client.get(reverse("console:root", args=[bob.lab_id])).status_code == 200
    client.force_login(trainer)
    assert client.get(reverse("training:dashboard", args=[session.pk])).status_code == 200


# -- (d) the step budget ---------------------------------------------------------------------------------

def test_work_beyond_a_lab_pass_budget_carries_over_to_the_next_tick(make_generated_lab, owner, make_runner):
    lab = make_generated_lab(vms=STEPS_PER_LAB_PASS + 10)
    ops = shut_down(owner, running_vms(lab, STEPS_PER_LAB_PASS + 5))
    to = later()
    runner = make_runner()
    runner.tick(to=to)
    assert runner.stats["transitions"] == STEPS_PER_LAB_PASS
    states = Operation.objects.filter(pk__in=[op.pk for op in ops]).values_list("state", flat=True)
    assert sorted(states).count("completed") == STEPS_PER_LAB_PASS
    runner.tick(to=to)  # the same moment: only what was left over
    assert runner.stats["transitions"] == STEPS_PER_LAB_PASS + 5
    assert set(Operation.objects.filter(pk__in=[op.pk for op in ops]).values_list("state", flat=True)) == {
        "completed"}
    assert set(VirtualMachine.objects.filter(pk__in=[op.virtual_machine_id for op in ops])
               .values_list("state", flat=True)) == {VirtualMachine.State.OFF}
    runner.tick(to=to)
    assert runner.stats["transitions"] == STEPS_PER_LAB_PASS + 5  # nothing applied twice


# -- (e) the product's and the simulator's limits ----------------------------------------------------------

@pytest.fixture
def fresh_lab(owner):
    from fcm.engine import labfile
    return labfile.load(labfile.lab_path("two-node-fresh-2012"), owner)


def validate_through_the_wizard(client, lab, names):
    """The Validate a Configuration wizard from its start to Confirmation's Next; returns that answer's HTML."""
    start = reverse("wizards:start", args=[lab.pk, "validate"])
    client.post(start, {"action": "next"}, headers=HX)
    from fcm.wizards.models import WizardDraft
    draft = WizardDraft.objects.filter(lab=lab).order_by("-created_at", "-pk").first()
    url = reverse("wizards:draft", args=[lab.pk, draft.pk])
    for data in ({"names": names}, {"mode": "all"}, {}):
        response = client.post(url, {"action": "next", **data}, headers=HX)
        assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_a_second_validation_of_the_same_servers_is_refused_in_the_wizard(owner_client, fresh_lab):
    assert "Validating" in validate_through_the_wizard(owner_client, fresh_lab, "HV-A,HV-B")
    before = (Operation.objects.count(), ValidationReport.objects.count())
    page = validate_through_the_wizard(owner_client, fresh_lab, "HV-B")
    assert "A validation that includes HV-B is already running. Wait for it to finish, or cancel it" in page
    assert 'aria-current="step">Confirmation' in page
    assert (Operation.objects.count(), ValidationReport.objects.count()) == before


def test_validations_of_other_servers_run_side_by_side_and_one_may_start_again_once_finished(
        owner, fresh_lab, finish_operation):
    op, _ = start_validation(owner, fresh_lab, ["HV-A"])
    other, _ = start_validation(owner, fresh_lab, ["HV-B"])
    with pytest.raises(errors.ValidationRunningError):
        start_validation(owner, fresh_lab, ["HV-A", "HV-B"])
    finish_operation(fresh_lab, op)
    again, _ = start_validation(owner, fresh_lab, ["HV-A"])
    assert again.state == "running" and other.pk != again.pk


def test_the_simulators_own_limit_of_operations_in_flight(make_generated_lab, owner):
    lab = make_generated_lab(nodes=6, vms=lifecycle.MAX_OPERATIONS_PER_LAB * 2)
    vms = running_vms(lab, lifecycle.MAX_OPERATIONS_PER_LAB + 1)
    shut_down(owner, vms[:-1])
    with pytest.raises(errors.SimulatorLimitError) as refused:
        roles.request_power(owner, vms[-1], "shutdown")
    assert str(refused.value).startswith(
        f"The simulator runs at most {lifecycle.MAX_OPERATIONS_PER_LAB} operations at once in one lab")
    assert "a limit of the simulator, not of Windows Server" in str(refused.value)
    assert Operation.objects.filter(lab=lab).count() == lifecycle.MAX_OPERATIONS_PER_LAB
    assert VirtualMachine.objects.get(pk=vms[-1].pk).state == VirtualMachine.State.RUNNING
    # A move is refused the same way, and said so beside the role.
    role = Role.objects.filter(cluster__lab=lab, virtual_machine__isnull=False).exclude(
        virtual_machine__in=vms).first()
    result = moves.request_moves(owner, [role], Operation.Kind.LIVE_MIGRATION)
    assert result.refused and "The simulator runs at most" in result.refused[0][1]
    assert Operation.objects.filter(lab=lab).count() == lifecycle.MAX_OPERATIONS_PER_LAB


def test_a_lab_whose_fragments_fail_to_render_is_retried_and_the_others_are_rendered(
        make_generated_lab, owner, make_runner, monkeypatch):
    from fcm.live import fragments
    broken, healthy = make_generated_lab(name="broken"), make_generated_lab(name="healthy")
    shut_down(owner, running_vms(broken, 1))
    shut_down(owner, running_vms(healthy, 1))
    real = fail_for_lab(monkeypatch, fragments, "render_changes", broken.pk, KeyError("no template for this row"))
    t0 = later()
    out = make_runner().tick(to=t0)
    record = LabHealth.objects.get(lab=broken)
    assert (record.stage, record.error, record.failures) == ("render", "KeyError", 1)
    assert "The simulator could not update this lab&#x27;s consoles: KeyError" in out[broken.pk]
    assert "vm-" in out[healthy.pk] and "lab-health" not in out[healthy.pk]

    make_runner().tick(to=t0 + timedelta(seconds=1))  # retried: fails again
    assert LabHealth.objects.get(lab=broken).failures == 2
    monkeypatch.setattr(fragments, "render_changes", real)
    out = make_runner().tick(to=t0 + timedelta(seconds=3))
    assert not LabHealth.objects.filter(lab=broken).exists()
    assert '<div id="lab-health" hx-swap-oob="true"></div>' in out[broken.pk]
