"""Checkpoints (snapshots before 2012 R2) in the engine: taking one freezes the drive and gives it an .avhdx,
applying one goes back (saved or off, as it was), deleting one merges its differencing disk (while the VM runs
from 2012, once it is off before), and each refusal changes nothing."""
import re

import pytest

from fcm.engine import dump, labfile
from fcm.engine.commands import checkpoints as commands
from fcm.engine.commands import moves
from fcm.engine.commands.servers import vm_power
from fcm.engine.errors import ServerError
from fcm.engine.models import Operation
from fcm.inventory.models import Checkpoint, CheckpointFile, ClusterDisk, Node, Resource, Role, VirtualMachine

pytestmark = pytest.mark.django_db
GUID = r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}"


@pytest.fixture
def lab(owner):
    return labfile.load(labfile.lab_path("shared-nothing-2012"), owner)


def app01(lab):
    return VirtualMachine.objects.get(lab=lab, name="APP01")


def drive(lab):
    return app01(lab).hard_disks.get()


def take(lab, finish_operation, name=""):
    op = commands.take_checkpoint(None, app01(lab), name)
    assert finish_operation(lab, op).state == Operation.State.COMPLETED, op.message
    return Checkpoint.objects.filter(virtual_machine__lab=lab).latest("taken_at", "pk")


def test_a_checkpoint_of_a_running_vm_saves_its_memory_and_gives_its_drive_an_avhdx(lab, finish_operation):
    op = commands.take_checkpoint(None, app01(lab))
    assert op.plan["type"] == "Standard" and op.plan["saved_memory"]
    # 4 GB of memory written at the local disks' speed, then the differencing disk
    host = Node.objects.get(lab=lab, name="HV01")
    assert op.plan["total_s"] > 4096 / host.local_storage_mib_s
    finish_operation(lab, op)
    checkpoint = Checkpoint.objects.get(virtual_machine__lab=lab)
    assert re.fullmatch(r"APP01 - \(\d+/\d+/\d{4} - \d+:\d\d:\d\d [AP]M\)", checkpoint.name)
    assert checkpoint.vm_state == "Running" and checkpoint.saved_memory
    d = drive(lab)
    assert re.fullmatch(r"D:\\Hyper-V\\APP01\\APP01_" + GUID + r"\.avhdx", d.path), d.path
    assert d.kind == "Differencing" and d.parent_file.path == r"D:\Hyper-V\APP01\APP01.vhdx"
    assert d.parent_file.checkpoint == checkpoint and d.parent_file.kind == "Dynamic"
    assert app01(lab).current_checkpoint == checkpoint and app01(lab).state == "Running"


def test_applying_a_checkpoint_taken_running_brings_the_vm_back_saved_on_a_new_differencing_disk(
        lab, finish_operation):
    checkpoint = take(lab, finish_operation, "Before update")
    checkpoint.refresh_from_db()
    first_avhdx = drive(lab).path
    op = commands.apply_checkpoint(None, checkpoint)
    assert [p["key"] for p in op.plan["phases"]] == ["turn-off", "apply-checkpoint"]
    finish_operation(lab, op)
    vm = app01(lab)
    assert vm.state == "Saved" and vm.current_checkpoint == checkpoint
    # started again, it goes on from the uptime it had when the checkpoint was taken (50 hours in the lab)
    assert checkpoint.uptime_s >= 50 * 3600 and vm.started_at is not None
    assert drive(lab).path != first_avhdx and drive(lab).parent_file.checkpoint == checkpoint
    # the discarded differencing disk is nowhere
    assert not CheckpointFile.objects.filter(path=first_avhdx).exists()


def test_take_checkpoint_and_apply_keeps_the_current_state_in_a_new_checkpoint(lab, finish_operation):
    first = take(lab, finish_operation, "First")
    op = commands.apply_checkpoint(None, first, take_first=True)
    assert [p["key"] for p in op.plan["phases"]] == ["take-checkpoint", "turn-off", "apply-checkpoint"]
    finish_operation(lab, op)
    names = list(Checkpoint.objects.filter(virtual_machine__lab=lab).values_list("name", "parent__name"))
    assert ("First", None) in names and len(names) == 2
    kept = Checkpoint.objects.exclude(name="First").get(virtual_machine__lab=lab)
    assert kept.parent.name == "First" and app01(lab).current_checkpoint.name == "First"
    # the tree branches under First: the kept state and "Now"
    assert CheckpointFile.objects.get(checkpoint=first).children.count() == 1
    assert drive(lab).parent_file.checkpoint == first


def test_deleting_the_only_checkpoint_merges_its_differencing_disk_back_while_the_vm_runs(lab, finish_operation):
    checkpoint = take(lab, finish_operation)
    before = drive(lab).file_size_bytes
    op = commands.delete_checkpoint(None, checkpoint)
    assert not Checkpoint.objects.filter(virtual_machine__lab=lab).exists()  # gone from the tree at once
    assert op.kind == "checkpoint-merge" and op.plan["total_s"] > 0
    assert app01(lab).state == "Running"
    finish_operation(lab, op)
    d = drive(lab)
    assert d.path == r"D:\Hyper-V\APP01\APP01.vhdx" and d.kind == "Dynamic" and d.parent_file is None
    assert not CheckpointFile.objects.filter(hard_disk__virtual_machine__lab=lab).exists()
    assert d.file_size_bytes >= 18 * 1024 ** 3 and before > 0


def test_deleting_a_middle_checkpoint_merges_one_file_and_keeps_the_others(lab, finish_operation):
    first = take(lab, finish_operation, "One")
    second = take(lab, finish_operation, "Two")
    third = take(lab, finish_operation, "Three")
    finish_operation(lab, commands.delete_checkpoint(None, second))
    third.refresh_from_db()
    assert third.parent == first
    chain = [CheckpointFile.objects.get(checkpoint=c) for c in (first, third)]
    assert chain[1].parent == chain[0] and drive(lab).parent_file == chain[1]
    assert CheckpointFile.objects.filter(hard_disk__virtual_machine__lab=lab).count() == 2


def test_delete_checkpoint_subtree_removes_it_and_everything_under_it(lab, finish_operation):
    first = take(lab, finish_operation, "One")
    take(lab, finish_operation, "Two")
    finish_operation(lab, commands.delete_checkpoint(None, first, subtree=True))
    assert not Checkpoint.objects.filter(virtual_machine__lab=lab).exists()
    assert drive(lab).path.endswith("APP01.vhdx") and app01(lab).current_checkpoint is None


def test_a_2008_r2_snapshot_merges_only_once_the_vm_is_turned_off(owner, finish_operation):
    lab = labfile.load(labfile.lab_path("shared-nothing-2012"), owner)
    Node.objects.filter(lab=lab).update(os_version="2008R2")
    snapshot = take(lab, finish_operation)
    assert commands.delete_checkpoint(None, snapshot) is None
    assert CheckpointFile.objects.filter(hard_disk__virtual_machine__lab=lab).count() == 1  # waits
    finish_operation(lab, vm_power(None, app01(lab), "turnoff"))
    merge = Operation.objects.get(lab=lab, kind="checkpoint-merge")
    finish_operation(lab, merge)
    assert drive(lab).path.endswith("APP01.vhdx")


def test_nothing_else_runs_on_the_vm_while_a_checkpoint_is_taken(lab):
    commands.take_checkpoint(None, app01(lab))
    with pytest.raises(ServerError) as caught:
        commands.take_checkpoint(None, app01(lab))
    assert "(0x800710DF)" in str(caught.value)
    assert Operation.objects.filter(lab=lab, kind="checkpoint").count() == 1


@pytest.mark.parametrize("name,message", [("   ", "The name cannot be blank."),
                                          ("x" * 101, "The name can be at most 100 characters long.")])
def test_a_bad_name_is_refused_at_the_field(lab, finish_operation, name, message):
    checkpoint = take(lab, finish_operation, "Kept")
    with pytest.raises(ServerError) as caught:
        commands.rename_checkpoint(None, checkpoint, name)
    assert str(caught.value) == message and caught.value.field == "name"
    checkpoint.refresh_from_db()
    assert checkpoint.name == "Kept"


def test_checkpoints_disabled_in_the_vm_settings_are_refused(lab):
    Node.objects.filter(lab=lab).update(os_version="2016")
    VirtualMachine.objects.filter(lab=lab).update(checkpoint_type="Disabled")
    with pytest.raises(ServerError, match="Checkpoints are disabled for 'APP01'"):
        commands.take_checkpoint(None, app01(lab))
    assert not Operation.objects.filter(lab=lab).exists()


def test_a_2016_checkpoint_of_a_running_vm_is_a_production_checkpoint_and_applies_to_off(lab, finish_operation):
    Node.objects.filter(lab=lab).update(os_version="2016")
    checkpoint = take(lab, finish_operation)
    assert checkpoint.type == "Production" and not checkpoint.saved_memory
    finish_operation(lab, commands.apply_checkpoint(None, checkpoint))
    assert app01(lab).state == "Off"


def test_a_move_copies_the_checkpoints_files_too(lab, finish_operation):
    take(lab, finish_operation)
    vm = app01(lab)
    assert vm.storage_bytes() == drive(lab).file_size_bytes + CheckpointFile.objects.get().file_size_bytes


def test_a_dump_keeps_the_checkpoint_tree_and_its_files(lab, owner, finish_operation):
    first = take(lab, finish_operation, "One")
    take(lab, finish_operation, "Two")
    copy = dump.load(dump.dump(lab), owner, name="copy")
    vm = VirtualMachine.objects.get(lab=copy, name="APP01")
    tree = {c.name: (c.parent.name if c.parent else None) for c in vm.checkpoints.all()}
    assert tree == {"One": None, "Two": "One"} and vm.current_checkpoint.name == "Two"
    d = vm.hard_disks.get()
    assert d.parent_file.checkpoint.name == "Two" and d.parent_file.parent.checkpoint.name == "One"
    assert d.parent_file.path == CheckpointFile.objects.get(checkpoint__name="Two",
                                                            hard_disk__virtual_machine__lab=lab).path
    assert first.pk not in vm.checkpoints.values_list("pk", flat=True)


def test_after_take_checkpoint_and_apply_deleting_both_leaves_the_vm_on_its_base_disk(lab, finish_operation):
    first = take(lab, finish_operation, "First")
    finish_operation(lab, commands.apply_checkpoint(None, first, take_first=True))
    kept = Checkpoint.objects.exclude(pk=first.pk).get(virtual_machine__lab=lab)
    # the kept state's file grew nothing: it is dropped with its checkpoint, no merge
    assert commands.delete_checkpoint(None, kept) is None
    assert CheckpointFile.objects.filter(hard_disk__virtual_machine__lab=lab).count() == 1
    finish_operation(lab, commands.delete_checkpoint(None, first))
    assert drive(lab).path == r"D:\Hyper-V\APP01\APP01.vhdx" and drive(lab).parent_file is None
    assert not CheckpointFile.objects.filter(hard_disk__virtual_machine__lab=lab).exists()


def test_a_standard_checkpoint_of_a_saved_vm_keeps_its_saved_state(lab, finish_operation):
    VirtualMachine.objects.filter(lab=lab).update(state="Saved")
    checkpoint = take(lab, finish_operation)
    assert checkpoint.saved_memory and checkpoint.vm_state == "Saved"
    VirtualMachine.objects.filter(lab=lab).update(state="Off", started_at=None)
    finish_operation(lab, commands.apply_checkpoint(None, checkpoint))
    assert app01(lab).state == "Saved"


def test_applying_a_checkpoint_of_a_clustered_vm_takes_its_role_offline_with_it(
        make_generated_lab, finish_operation):
    lab = make_generated_lab(nodes=2, vms=4, os_version="2012")
    role = Role.objects.select_related("virtual_machine").filter(cluster__lab=lab).order_by("name").first()
    VirtualMachine.objects.filter(pk=role.virtual_machine.pk).update(state="Running", started_at=lab.sim_now())
    Role.objects.filter(pk=role.pk).update(state="Online")
    vm = VirtualMachine.objects.get(pk=role.virtual_machine.pk)
    op = commands.take_checkpoint(None, vm)
    finish_operation(lab, op)
    checkpoint = Checkpoint.objects.get(virtual_machine=vm)
    finish_operation(lab, commands.apply_checkpoint(None, checkpoint))
    role.refresh_from_db()
    assert VirtualMachine.objects.get(pk=vm.pk).state == "Saved" and role.state == "Offline"
    assert set(Resource.objects.filter(role=role, virtual_machine=vm).values_list("state", flat=True)) == {"Offline"}


def test_a_storage_migration_moves_the_checkpoints_files_and_their_space(
        make_generated_lab, owner, finish_operation):
    lab = make_generated_lab(nodes=2, vms=600)  # two CSVs
    cluster = lab.clusters.get()
    role = Role.objects.select_related("cluster", "virtual_machine__host_node").get(cluster=cluster, name="VM0001")
    finish_operation(lab, commands.take_checkpoint(None, role.virtual_machine))
    dest = ClusterDisk.objects.select_related("disk").get(cluster=cluster, csv_number=2)
    used = dest.disk.used_bytes
    finish_operation(lab, moves.request_storage_move(owner, role, dest))
    frozen = CheckpointFile.objects.get(hard_disk__virtual_machine=role.virtual_machine)
    assert frozen.path.startswith(r"C:\ClusterStorage\Volume2\VM0001")
    dest.disk.refresh_from_db()
    assert dest.disk.used_bytes >= used + frozen.file_size_bytes
