"""Fixtures of the integration suite that drive the engine, and those that more than one module uses.

The engine's Runner is imported here and nowhere else in the tests: tests get a Runner from
`make_runner` and tick with `tick_to`, so a move of the engine's modules is one edit here.
"""
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from fcm.engine.models import Operation
from fcm.engine.runner import Runner
from fcm.inventory.models import Cluster, Network
from fcm.training.models import TRAINERS_GROUP
from fcm.wizards.models import WizardDraft

HX = {"HX-Request": "true", "HX-Target": "dialog-host"}


@pytest.fixture
def make_runner():
    """`make_runner()` is a new engine Runner, as a (re)started engine process makes one: it has no
    state of its own beyond its statistics and push bookkeeping; everything else is in the rows."""
    return Runner


def tick_through(runner, to):
    """`runner.tick(to=to)`, repeated at the same moment while a lab's pass stopped at its step budget
    (a jump of minutes in one tick holds more steps than a live pass): what all the passes push."""
    out = runner.tick(to=to)
    for _ in range(1000):
        reached = runner.stats["budget_reached"]
        if not reached:
            return out
        runner.stats["budget_reached"] = 0
        for key, html in runner.tick(to=to).items():
            out[key] = out.get(key, "") + html
    raise AssertionError("the engine kept reaching its step budget at one moment")


@pytest.fixture
def tick_to(make_runner):
    """`tick_to(lab, seconds_after_anchor)`: one pass of a new Runner at the wall time at which the lab's
    clock shows its anchor + `seconds_after_anchor` (read from the row: the lab's clock may have been
    changed since `lab` was read). A paused clock (speed 0) counts the seconds as wall seconds.
    Returns what the pass pushes, as `Runner.tick` does."""
    def tick(lab, seconds_after_anchor):
        lab.refresh_from_db()
        return tick_through(make_runner(), lab.wall_anchor + timedelta(seconds=seconds_after_anchor / (lab.speed or 1)))
    return tick


@pytest.fixture
def tick_after(tick_to):
    """`tick_after(lab, op, seconds)`: one pass at `seconds` of the lab's clock after `op` started. A test that
    looks at an operation half-way must count from its start: on a busy machine it may start well after the
    lab's anchor."""
    def tick(lab, op, seconds):
        lab.refresh_from_db()
        op.refresh_from_db()
        return tick_to(lab, (op.started_at - lab.sim_anchor).total_seconds() + seconds)
    return tick


@pytest.fixture
def after_fault(tick_after):
    """`after_fault(lab, seconds)`: one pass `seconds` after the first failure detection started (not after the
    lab's anchor: generating the lab may take seconds on a busy machine)."""
    def tick(lab, seconds):
        first = Operation.objects.filter(lab=lab, kind="node-failure").earliest("started_at", "pk")
        return tick_after(lab, first, seconds)
    return tick


@pytest.fixture
def finish_operation(make_runner):
    """`finish_operation(lab, op)`: tick to two wall seconds after `op`'s planned length, counted from when it
    started (a slow run may start it well after the lab's anchor); returns it re-read."""
    def finish_operation(lab, op):
        lab.refresh_from_db()
        op.refresh_from_db()
        started = (op.started_at - lab.sim_anchor).total_seconds() if op.started_at else 0
        tick_through(make_runner(), lab.wall_anchor + timedelta(
            seconds=(max(started, 0) + op.plan["total_s"]) / (lab.speed or 1) + 2))
        op.refresh_from_db()
        return op
    return finish_operation


@pytest.fixture
def create_cluster_now(finish_operation):
    """`create_cluster_now(client, lab, names=..., name=..., ip=...)`: the Create Cluster Wizard without
    validation, run to its end; returns the cluster. (test_wizards and test_bad_input.)"""
    def create_cluster_now(client, lab, names="HV-A,HV-B", name="CL2012", ip="10.10.0.50"):
        def step(url, **data):
            response = client.post(url, data, headers=HX)
            assert response.status_code == 200, response.content[:500]

        step(reverse("wizards:start", args=[lab.pk, "create-cluster"]), action="next")
        draft = WizardDraft.objects.order_by("-created_at").first()
        url = reverse("wizards:draft", args=[lab.pk, draft.pk])
        step(url, action="next", names=names)
        step(url, action="next", run_validation="no")
        public = Network.objects.get(lab=lab, name="Public")
        step(url, action="next", name=name, **{f"use_{public.pk}": "on", f"address_{public.pk}": ip})
        step(url, action="next", add_storage="on")
        finish_operation(lab, Operation.objects.filter(kind="create-cluster").latest("pk"))
        return Cluster.objects.get(lab=lab, name=name)
    return create_cluster_now


@pytest.fixture
def run_all(tick_to):
    """`run_all(lab, op)`: tick to just after `op` has run to its end (however late it started); returns it re-read."""
    def run_all(lab, op):
        lab.refresh_from_db()
        op.refresh_from_db()
        tick_to(lab, (op.started_at - lab.sim_anchor).total_seconds() + op.plan["total_s"] + 1)
        op.refresh_from_db()
        return op
    return run_all


@pytest.fixture
def trainer(django_user_model):
    """A trainer (a member of the trainers' group), signed in nowhere yet."""
    user = django_user_model.objects.create_user("trainer", password="correct-horse-9")
    user.groups.add(Group.objects.get_or_create(name=TRAINERS_GROUP)[0])
    return user


@pytest.fixture
def owner_client(client, owner):
    """A client signed in as the labs' owner."""
    client.force_login(owner)
    return client
