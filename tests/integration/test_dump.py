"""dumplab / loadlab: a lab to JSON and back, exactly (the backup story)."""
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

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
    call_command("loadlab", str(path), "--as", "restored", "--trust-user-names")
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
        call_command("loadlab", str(path), "--owner", owner.username)
    call_command("loadlab", str(path), "--replace", "--owner", owner.username)
    assert Lab.objects.filter(name=replica_lab.name).count() == 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(Exception, match="not a lab dump"):
        call_command("loadlab", str(bad), "--owner", owner.username)


def _edited(lab, model, **changes):
    """A dump of `lab` with the first record of `model` edited as someone might edit the file."""
    data = json.loads(dump.dumps(lab))
    record = next(r for r in data["records"] if r["model"] == model)
    record["fields"].update(changes)
    return data


def _labs():
    return sorted(Lab.objects.values_list("name", flat=True))


@pytest.mark.parametrize("model, changes, reason", [
    ("inventory.Lab", {"speed": 1e300}, "speed: Ensure this value is less than or equal to 60."),
    ("inventory.Lab", {"speed": -1}, "speed: Ensure this value is greater than or equal to 0."),
    ("inventory.Disk", {"size_bytes": 10**30}, "size_bytes: Ensure this value is less than or equal to"),
    ("inventory.VirtualMachine", {"memory_mb": 0}, "memory_mb: Ensure this value is greater than or equal to 1."),
    ("inventory.Node", {"state": "Exploded"}, "state: Value 'Exploded' is not a valid choice."),
    ("inventory.Node", {"name": ""}, "name: This field cannot be blank."),
])
def test_an_edited_dump_is_validated_whole_and_loads_nothing_when_refused(replica_lab, owner, model, changes, reason):
    before = _labs()
    with pytest.raises(dump.DumpError, match=r"records\[\d+\] " + model.replace(".", r"\.") + r" \d+") as refused:
        dump.load(_edited(replica_lab, model, **changes), owner, name="edited")
    assert reason in str(refused.value)
    assert _labs() == before


def test_a_dump_needs_an_owner_unless_its_user_names_are_trusted(replica_lab, owner, other_user, tmp_path):
    replica_lab.members.add(other_user)
    path = tmp_path / "lab.json"
    path.write_text(dump.dumps(replica_lab))
    with pytest.raises(CommandError, match="give --owner USERNAME"):
        call_command("loadlab", str(path), "--as", "elsewhere")
    assert not Lab.objects.filter(name="elsewhere").exists()
    # From elsewhere: the named owner, and nobody the dump names (the same user name may be someone else here).
    call_command("loadlab", str(path), "--as", "elsewhere", "--owner", other_user.username)
    copy = Lab.objects.get(name="elsewhere")
    assert copy.owner == other_user and list(copy.members.all()) == []
    # A backup of this installation: its owner and members, by name.
    call_command("loadlab", str(path), "--as", "backup", "--trust-user-names")
    backup = Lab.objects.get(name="backup")
    assert backup.owner == owner and list(backup.members.all()) == [other_user]


def test_a_dump_pointing_outside_itself_is_refused(replica_lab, owner):
    data = _edited(replica_lab, "inventory.Node", domain=10**9)
    with pytest.raises(dump.DumpError, match="domain points at 1000000000, which is no inventory.Domain of the dump"):
        dump.load(data, owner, name="edited")
