"""dumplab / loadlab: a lab to JSON and back, exactly (the backup story)."""
import json
from datetime import timedelta

import pytest
from django.core.management import call_command

from fcm.engine import dump
from fcm.inventory.models import Lab, Node, Role, VirtualMachine
from fcm.engine.models import ValidationReport
from fcm.engine.commands import faults
from fcm.engine.commands import replication as rep_commands

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_replica_lab(replica_lab, owner, make_runner):
    """A lab with state worth keeping: replication running, a node crashed and failing over, events."""
    vm = VirtualMachine.objects.get(name="HQ-WEB01", host_node__site="HQ")
    rep_commands.enable(owner, vm, server_name="DR-BROKER.contoso.com", auth="Kerberos", port=80, compression=True,
                      vhd_ids=[], frequency_s=300, additional_points=0, vss_hours=None, initial_method="existing")
    faults.crash_node(owner, Node.objects.get(name="HQ-HV2"))
    replica_lab.refresh_from_db()
    make_runner().tick(to=replica_lab.wall_anchor + timedelta(seconds=30))
    ValidationReport.objects.create(lab=replica_lab, nodes=["HQ-HV1"], results=[{"name": "x", "status": "Success"}],
                                    started_at=replica_lab.sim_anchor, completed_at=replica_lab.sim_anchor,
                                    outcome="success")
    return replica_lab


def test_a_dumped_lab_loads_back_exactly(busy_replica_lab, tmp_path, make_runner):
    lab = busy_replica_lab
    first = dump.dump(lab)
    models = {r["model"] for r in first["records"]}
    assert {"engine.Operation", "inventory.Replication", "inventory.ClusterEvent", "engine.ValidationReport",
            "inventory.Resource", "inventory.ReplicaAuthorization"} <= models
    path = tmp_path / "lab.json"
    call_command("dumplab", lab.name, "-o", str(path))
    call_command("loadlab", str(path), "--as", "restored")
    copy = Lab.objects.get(name="restored")
    again = dump.dump(copy)
    for data in (first, again):
        for r in data["records"]:
            if r["model"] == "inventory.Lab":
                r["fields"]["name"] = "x"
    assert dump.canonical(first) == dump.canonical(again)
    # The copy is a lab of its own: the original's objects are untouched and distinct.
    assert set(Node.objects.filter(lab=copy).values_list("pk", flat=True)).isdisjoint(
        Node.objects.filter(lab=lab).values_list("pk", flat=True))
    assert Role.objects.filter(cluster__lab=copy).count() == Role.objects.filter(cluster__lab=lab).count()
    # ... and it runs: the engine carries on with its Operations.
    copy.refresh_from_db()
    make_runner().tick(to=copy.wall_anchor + timedelta(seconds=600))
    assert Node.objects.get(lab=copy, name="HQ-HV2").state == "Down"


def test_restore_replaces_or_refuses(replica_lab, owner, tmp_path):
    path = tmp_path / "lab.json"
    path.write_text(dump.dumps(replica_lab))
    with pytest.raises(Exception, match="already exists"):
        call_command("loadlab", str(path))
    call_command("loadlab", str(path), "--replace")
    assert Lab.objects.filter(name=replica_lab.name).count() == 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(Exception, match="not a lab dump"):
        call_command("loadlab", str(bad))
