"""Drains in several generated labs, and the audit that each move happened exactly once.

Shared by the two-engine test (tests/scaled/test_two_engines.py) and bench/takeover.py: an engine is
killed while the drains run, and what matters afterwards is that no move was lost and none was applied
twice. Runs in the process that drives the test, on the database the engines use.
"""
import time

from django.db.models import Count
from django.utils import timezone

from fcm.engine import clock
from fcm.engine.commands import nodes as node_commands
from fcm.engine.models import LabLease, Operation
from fcm.inventory import owners
from fcm.inventory.generate import generate
from fcm.inventory.models import ClusterEvent, Lab, Node, Role, VirtualMachine

PREFIX = "two-engines-"


def generate_lab(i, nodes=4, vms=32):
    """A fresh generated lab (its clock x1 and nothing running), replacing one of the same name."""
    return generate(owners.administrator(), nodes=nodes, vms=vms, name=f"{PREFIX}{i}", seed=i + 1, replace=True)


def start_drains(labs, speed):
    """Run `labs`' clocks at `speed`, each draining its first node (several live migrations each, two at a
    time per host). Returns {lab id: (drained node id, the VM ids it hosted)}."""
    admin = owners.administrator()
    drains = {}
    for lab in labs:
        clock.set_speed(lab, speed)
        node = Node.objects.filter(lab=lab).order_by("name").first()
        hosted = set(VirtualMachine.objects.filter(host_node=node).values_list("pk", flat=True))
        node_commands.pause_node(admin, node, drain=True)
        drains[lab.pk] = (node.pk, hosted)
    return drains


def holders(lab_ids):
    """{lab id: the engine id whose lease on it runs now} (labs no engine holds are left out)."""
    return dict(LabLease.objects.filter(lab_id__in=lab_ids, expires_at__gt=timezone.now())
                .exclude(engine_id="").values_list("lab_id", "engine_id"))


def split_between(engines, lab_ids):
    """True when each of `engines` holds some of the labs still busy."""
    return set(holders(busy(lab_ids)).values()) == set(engines)


def busy(lab_ids):
    """The labs that still have operations to run."""
    return set(Operation.objects.filter(lab_id__in=lab_ids, state__in=Operation.ACTIVE)
               .values_list("lab_id", flat=True))


def wait(check, timeout, every=0.05):
    """Poll `check` until it is true; returns the seconds it took, or None at the timeout."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if check():
            return time.monotonic() - began
        time.sleep(every)
    return None


def audit(drains):
    """(lost, doubled): moves that did not happen, and transitions or events applied more than once."""
    lost = doubled = 0
    for lab_id, (node_id, hosted) in drains.items():
        ops = Operation.objects.filter(lab_id=lab_id)
        lost += ops.exclude(state=Operation.State.COMPLETED).count()
        lost += sum(1 for op in ops if op.phase_index != len(op.phases) or op.finished_at is None)
        node = Node.objects.get(pk=node_id)
        lost += node.drain_status != Node.DrainStatus.COMPLETED
        lost += Role.objects.filter(cluster__lab_id=lab_id, owner_node_id=node_id).count()
        lost += VirtualMachine.objects.filter(pk__in=hosted, host_node_id=node_id).count()
        # A step applied twice would move a VM twice or log its event twice.
        doubled += sum(n - 1 for n in ops.values("virtual_machine").annotate(n=Count("pk")).values_list("n", flat=True)
                       if n > 1)
        events = list(ClusterEvent.objects.filter(lab_id=lab_id)
                      .values_list("event_id", "sim_time", "description", "role_id"))
        doubled += len(events) - len(set(events))
    return lost, doubled


def clean_up():
    Lab.objects.filter(name__startswith=PREFIX).delete()
