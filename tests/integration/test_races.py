"""The races fixed so far, each replayed deterministically: the two sides are interleaved explicitly (one
side's read, the other side whole, then the first side's write), never left to timing.

`interleave(module, step)` runs `step` once, just before the next transaction that `module` opens:
whatever the caller read before that transaction is then stale, as it is when another request or the
engine commits in between. Each test failed on the code before its fix (docs/engine.md, "Soak and races").
"""
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from fcm.engine import errors
from fcm.engine.commands import replication as rep_commands
from fcm.engine.effects import moves as move_effects
from fcm.engine.effects import replication as replication_effects
from fcm.engine.models import Operation
from fcm.inventory.models import Cluster, Node, RecoveryPoint, Replication, Role, VirtualMachine

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture
def interleave(monkeypatch):
    def interleave(module, step):
        real_atomic = transaction.atomic
        pending = [step]

        class Transactions:
            """`module`'s view of django.db.transaction: its next atomic block begins after `step`."""

            @staticmethod
            def atomic(*args, **kwargs):
                if pending:
                    pending.pop()()
                return real_atomic(*args, **kwargs)

        monkeypatch.setattr(module, "transaction", Transactions)
        return pending
    return interleave


@pytest.fixture
def replicating(replica_lab, owner, tick_to):
    """HQ-WEB01 replicating to DR-BROKER every 5 minutes with two additional recovery points, three hours
    on; then the primary site is lost (a failover is allowed) while the next cycle is due."""
    vm = VirtualMachine.objects.get(name="HQ-WEB01", host_node__site="HQ")
    rep, op = rep_commands.enable(owner, vm, server_name="DR-BROKER.contoso.com", auth="Kerberos", port=80,
                                  compression=True, vhd_ids=[], frequency_s=300, additional_points=2, vss_hours=None,
                                  initial_method="existing")
    tick_to(replica_lab, 3 * 3600)
    rep.refresh_from_db()
    assert rep.state == Replication.State.REPLICATING and RecoveryPoint.objects.filter(replication=rep).count() >= 2
    Node.objects.filter(lab=replica_lab, site="HQ").update(power_state=Node.PowerState.OFF)
    VirtualMachine.objects.filter(lab=replica_lab, host_node__site="HQ").update(state=VirtualMachine.State.OFF)
    return rep


def points(rep):
    return list(RecoveryPoint.objects.filter(replication=rep).order_by("-sim_time"))


def test_a_failover_committed_after_the_cycle_read_the_relationship_is_not_overwritten(
        replica_lab, owner, replicating, interleave):
    """The engine lists the due cycles; a user's failover commits; the cycle applies. The cycle used to save
    the state it had read ('Replicating') over the failover's."""
    rep = replicating
    latest = points(rep)[0]
    replica_lab.refresh_from_db()
    due_at = replica_lab.sim_now() + timedelta(seconds=600)
    Replication.objects.filter(pk=rep.pk).update(next_cycle_at=replica_lab.sim_now())
    interleave(replication_effects, lambda: rep_commands.failover(owner, Replication.objects.get(pk=rep.pk), latest))

    replication_effects.run_due_cycles(replica_lab, due_at)

    rep.refresh_from_db()
    assert rep.state == Replication.State.FAILED_OVER_WAITING
    assert rep.failover_point == latest.sim_time
    assert Operation.objects.filter(kind=Operation.Kind.VM_POWER, virtual_machine=rep.replica_vm).count() == 1


def test_of_two_failovers_at_once_the_second_is_told_and_changes_nothing(replica_lab, owner, other_user, replicating):
    """Two users open Failover on the same replica (both read 'Replicating') and pick different recovery
    points; the first commits. The second used to overwrite the first's point and start the replica again."""
    first_read = Replication.objects.select_related("primary_vm__host_node", "lab").get(pk=replicating.pk)
    second_read = Replication.objects.select_related("primary_vm__host_node", "lab").get(pk=replicating.pk)
    newest, older = points(replicating)[:2]

    rep_commands.failover(owner, first_read, newest)
    with pytest.raises(errors.ReplicationError, match="changed meanwhile"):
        rep_commands.failover(other_user, second_read, older)

    rep = Replication.objects.get(pk=replicating.pk)
    assert rep.state == Replication.State.FAILED_OVER_WAITING and rep.failover_point == newest.sim_time
    assert Operation.objects.filter(kind=Operation.Kind.VM_POWER, virtual_machine=rep.replica_vm).count() == 1


@pytest.fixture
def two_consoles(client, owner, other_user, r2_lab):
    """The owner and a member of the lab, each signed in on a console of its own; the role's move URL."""
    r2_lab.members.add(other_user)
    client.force_login(owner)
    member = Client()
    member.force_login(other_user)
    cluster = Cluster.objects.get(lab=r2_lab)
    role = Role.objects.get(cluster=cluster, name="vWS08-SQL01")
    url = reverse("console:role-move", args=[r2_lab.pk, cluster.pk, role.pk, "live"])
    return client, member, role, url


def test_two_users_moving_one_role_at_once_one_wins_and_the_other_is_told_why(two_consoles, interleave):
    """Both post Live Migration of the same role: the owner's request has read the role when the member's
    whole request runs and commits; then the owner's move is written. One move, and the owner reads why not."""
    owner_console, member_console, role, url = two_consoles
    s2 = Node.objects.get(name="WS08R2-S2")
    answers = []
    interleave(move_effects, lambda: answers.append(member_console.post(url, {"target": s2.pk}, headers=HX)))

    response = owner_console.post(url, {"target": s2.pk}, headers=HX)

    member_answer = answers[0].content.decode()
    assert answers[0].status_code == 200 and "Live Migrating" in member_answer
    body = response.content.decode()
    assert response.status_code == 200 and response["HX-Retarget"] == "#dialog-host"
    assert "vWS08-SQL01 is already being moved." in body
    active = Operation.objects.filter(virtual_machine=role.virtual_machine, state__in=Operation.ACTIVE)
    assert active.count() == 1 and active.get().requested_by.username == "trainee2"



def test_a_move_read_before_another_users_move_finished_fails_with_the_reason(two_consoles, interleave, run_all,
                                                                               r2_lab):
    """The member's move runs to its end between the owner's read and the owner's write: the owner's move
    (planned from where the VM was) fails when it starts, saying where the VM is now; the VM moved once."""
    owner_console, member_console, role, url = two_consoles
    s2 = Node.objects.get(name="WS08R2-S2")

    def member_moves_it_and_it_finishes():
        member_console.post(url, {"target": s2.pk}, headers=HX)
        run_all(r2_lab, Operation.objects.get())

    interleave(move_effects, member_moves_it_and_it_finishes)
    owner_console.post(url, {"target": s2.pk}, headers=HX)

    done, refused = Operation.objects.order_by("pk")
    assert (done.state, done.requested_by.username) == ("completed", "trainee2")
    assert refused.state == "failed" and refused.message == "vWS08-SQL01 is already on WS08R2-S2."
    role.refresh_from_db()
    assert role.owner_node == s2 and VirtualMachine.objects.get(role=role).host_node == s2
