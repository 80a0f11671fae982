"""A VM's checkpoints in the lab: taking one freezes each drive's file and gives the drive a differencing
disk, applying one grows a new differencing disk under the checkpoint's files, deleting one merges what no
checkpoint needs any more (fcm.sim.checkpoints decides which files merge; this module moves the rows).

A drive (VirtualHardDisk) is the file the VM writes to; the files it grew from are CheckpointFile rows, each
with its parent. In the merge model a file is named by a reference: "d<pk>" the drive's own file, "f<pk>" a
frozen one.
"""
from datetime import timedelta

from django.db import IntegrityError

from fcm.inventory.models import Checkpoint, CheckpointFile, VirtualHardDisk, VirtualMachine
from fcm.sim import checkpoints as rules
from fcm.sim.units import MB

from .. import lifecycle
from ..models import Operation, Outbox
from ..outbox import mark, mark_vm


def changed(vm):
    """Re-render the VM: its role when clustered, and the VM itself, whose Checkpoints pane Hyper-V Manager
    shows (a clustered VM is checkpointed on its host like any other)."""
    mark_vm(vm)
    if vm.role_id:
        mark(vm.lab_id, Outbox.Kind.VM, vm.pk)


def move_files(vm, folder):
    """The checkpoints' files follow the VM's drives into `folder` (a move or storage migration copies them
    all); returns their bytes."""
    moved = 0
    for frozen in CheckpointFile.objects.filter(hard_disk__virtual_machine=vm):
        frozen.path = f"{folder}\\{frozen.path.rsplit(chr(92), 1)[-1]}"
        moved += frozen.file_size_bytes
        frozen.save(update_fields=["path"])
    return moved


def storage_rate(vm):
    """MiB/s the VM's files are read and written at: the slowest storage any of its drives is on."""
    host = vm.host_node
    rates = [h.disk.throughput_mib_s if h.disk_id else host.local_storage_mib_s
             for h in vm.hard_disks.select_related("disk")]
    if not rates:
        rates = [vm.configuration_disk.throughput_mib_s if vm.configuration_disk_id else host.local_storage_mib_s]
    return min(rates)


def _written_s(vm, drive, sim_now):
    """Seconds the running guest has written to the drive's differencing disk in its current boot."""
    if drive.parent_file_id is None or drive.written_since is None or vm.state != VirtualMachine.State.RUNNING:
        return 0.0
    since = max(drive.written_since, vm.started_at) if vm.started_at else drive.written_since
    return max((sim_now - since).total_seconds(), 0.0)


def settle(vm, sim_now):
    """Bring each differencing disk's size up to what the guest has written to it until `sim_now`."""
    rate = vm.workload_profile.disk_write_mib_s
    for drive in vm.hard_disks.filter(parent_file__isnull=False):
        size = rules.grown_bytes(drive.file_size_bytes, drive.max_size_bytes, rate, _written_s(vm, drive, sim_now))
        if size != drive.file_size_bytes or drive.written_since != sim_now:
            drive.file_size_bytes, drive.written_since = size, sim_now
            drive.save(update_fields=["file_size_bytes", "written_since"])


def _new_differencing(drive, parent_file, seed, sim_now):
    drive.path = rules.differencing_path(parent_file.path, seed)
    drive.kind = VirtualHardDisk.Kind.DIFFERENCING
    drive.file_size_bytes = int(rules.NEW_VHDX_MIB * MB)
    drive.parent_file = parent_file
    drive.written_since = sim_now
    drive.save(update_fields=["path", "kind", "file_size_bytes", "parent_file", "written_since"])


def take(op, sim_now):
    """The checkpoint the operation was asked for: its row, each drive's file frozen under it, and a new
    differencing disk for each drive."""
    vm = VirtualMachine.objects.select_related("host_node").get(pk=op.virtual_machine_id)
    settle(vm, sim_now)
    plan = op.plan
    checkpoint = Checkpoint.objects.create(
        virtual_machine=vm, parent=vm.current_checkpoint, name=plan["name"], type=plan["type"],
        taken_at=sim_now, vm_state=plan["vm_state"], saved_memory=plan["saved_memory"],
        memory_mb=vm.memory_mb if plan["saved_memory"] else 0,
        uptime_s=int((sim_now - vm.started_at).total_seconds()) if plan["saved_memory"] and vm.started_at else 0)
    for drive in vm.hard_disks.all():
        frozen = CheckpointFile.objects.create(
            hard_disk=drive, path=drive.path, parent=drive.parent_file, checkpoint=checkpoint, kind=drive.kind,
            file_size_bytes=drive.file_size_bytes)
        _new_differencing(drive, frozen, f"{checkpoint.pk}-{drive.pk}", sim_now)
    vm.current_checkpoint = checkpoint
    vm.save(update_fields=["current_checkpoint"])
    changed(vm)
    return checkpoint


def apply(op, sim_now):
    """The VM goes back to the checkpoint: each drive's current differencing disk is discarded and a new one
    grows under the checkpoint's file; the VM is saved (a standard checkpoint with memory) or off."""
    vm = VirtualMachine.objects.select_related("host_node").get(pk=op.virtual_machine_id)
    checkpoint = Checkpoint.objects.filter(pk=op.plan["checkpoint"], virtual_machine=vm).first()
    if checkpoint is None:  # deleted meanwhile: nothing to go back to (the command refuses that; a race)
        return
    frozen = {f.hard_disk_id: f for f in checkpoint.files.all()}
    for drive in vm.hard_disks.all():
        if drive.pk in frozen:
            _new_differencing(drive, frozen[drive.pk], f"{checkpoint.pk}-{drive.pk}-{op.pk}", sim_now)
    vm.state = rules.state_after_apply(checkpoint.type, checkpoint.saved_memory)
    # Saved: started again, the guest goes on from the uptime it had (Start keeps a saved VM's boot time).
    vm.started_at = sim_now - timedelta(seconds=checkpoint.uptime_s) if vm.state == "Saved" else None
    vm.current_checkpoint = checkpoint
    vm.save(update_fields=["state", "started_at", "current_checkpoint"])
    changed(vm)


def chains(vm):
    """{drive: (parents, frozen_by)} of the VM, as fcm.sim.checkpoints.merges reads them."""
    out = {}
    files = list(CheckpointFile.objects.filter(hard_disk__virtual_machine=vm))
    for drive in vm.hard_disks.all():
        parents = {f"f{f.pk}": (f"f{f.parent_id}" if f.parent_id else None) for f in files
                   if f.hard_disk_id == drive.pk}
        frozen = {f"f{f.pk}": f.checkpoint_id for f in files if f.hard_disk_id == drive.pk}
        parents[f"d{drive.pk}"] = f"f{drive.parent_file_id}" if drive.parent_file_id else None
        frozen[f"d{drive.pk}"] = None
        out[drive.pk] = (parents, frozen)
    return out


def pending_merges(vm):
    """{drive id: [(child, parent)]}: what merges now that some checkpoints are gone (nothing when every
    frozen file still holds a checkpoint or has several children)."""
    out = {}
    for drive, (parents, frozen) in chains(vm).items():
        pairs = rules.merges(parents, frozen, deleted=set(), active=[f"d{drive}"])
        if pairs:
            out[drive] = pairs
    return out


def _size(ref, drives, files):
    kind, pk = ref[0], int(ref[1:])
    return (drives if kind == "d" else files)[pk].file_size_bytes


def merge_bytes(vm, merges):
    """The bytes the merges read and write: each child's size."""
    drives = {d.pk: d for d in vm.hard_disks.all()}
    files = {f.pk: f for f in CheckpointFile.objects.filter(hard_disk__virtual_machine=vm)}
    return sum(_size(child, drives, files) for pairs in merges.values() for child, parent in pairs if parent)


def merge(vm, sim_now):
    """Merge what no checkpoint needs: each child's blocks go into its parent, the parent keeps its path and
    place, the child's file is gone and what used it uses the parent."""
    settle(vm, sim_now)
    for drive_pk, pairs in pending_merges(vm).items():
        alias = {}
        for child, parent in pairs:
            if parent is None:  # a file nothing needs: deleted, nothing to merge
                CheckpointFile.objects.filter(pk=int(alias.get(child, child)[1:])).delete()
                continue
            child, merged_into = alias.get(child, child), parent
            parent = alias.get(parent, parent)
            drive = VirtualHardDisk.objects.get(pk=drive_pk)
            upper = CheckpointFile.objects.get(pk=int(parent[1:]))
            if child.startswith("d"):
                survivor = drive
                survivor.written_since = sim_now
                survivor.parent_file_id = upper.parent_id
            else:
                survivor = CheckpointFile.objects.get(pk=int(child[1:]))
                survivor.parent_id = upper.parent_id
            fixed = upper.kind == VirtualHardDisk.Kind.FIXED
            merged = upper.file_size_bytes if fixed else min(
                upper.file_size_bytes + survivor.file_size_bytes, drive.max_size_bytes + int(rules.NEW_VHDX_MIB * MB))
            survivor.path, survivor.kind, survivor.file_size_bytes = upper.path, upper.kind, merged
            survivor.save()
            upper.delete()  # its one child (the rule) no longer points at it
            alias[merged_into] = child
    changed(vm)


def delete(vm, checkpoints):
    """Remove `checkpoints` from the tree (their children move up to their parent; "Now" too when it grew
    from one of them). Their files stay until merged."""
    gone = {c.pk for c in checkpoints}
    for checkpoint in sorted(checkpoints, key=lambda c: (c.taken_at, c.pk), reverse=True):
        parent = checkpoint.parent_id
        while parent in gone:
            parent = next(c.parent_id for c in checkpoints if c.pk == parent)
        Checkpoint.objects.filter(parent=checkpoint).exclude(pk__in=gone).update(parent_id=parent)
        if vm.current_checkpoint_id == checkpoint.pk:
            vm.current_checkpoint_id = parent
    vm.save(update_fields=["current_checkpoint"])
    Checkpoint.objects.filter(pk__in=gone).delete()
    changed(vm)


def subtree(checkpoint):
    """The checkpoint and every checkpoint under it."""
    everything = list(Checkpoint.objects.filter(virtual_machine_id=checkpoint.virtual_machine_id))
    under, frontier = [checkpoint], [checkpoint.pk]
    while frontier:
        children = [c for c in everything if c.parent_id in frontier]
        under += children
        frontier = [c.pk for c in children]
    return under


def start_merge(user, vm, sim_now=None):
    """Begin the merge of what no checkpoint needs, when there is one and the version merges now (2012 on,
    or the VM off); None otherwise."""
    order = vm.host_node.version.order
    if order < rules.LIVE_MERGE_ORDER and vm.is_running:
        return None  # merged when the VM is turned off (kinds/vm_power starts it)
    merges = pending_merges(vm)
    if not merges:
        return None
    if not any(parent for pairs in merges.values() for _, parent in pairs):
        merge(vm, sim_now or vm.lab.sim_now())  # only files nothing needs: deleted at once, nothing to merge
        return None
    seconds = rules.merge_seconds(merge_bytes(vm, merges), storage_rate(vm),
                                  vm.workload_profile.disk_write_mib_s if vm.state == VirtualMachine.State.RUNNING
                                  else 0.0)
    phase = {"key": "merge", "name": "Merging the differencing disks", "start_s": 0.0, "end_s": seconds,
             "state": vm.state, "detail": ""}
    plan = lifecycle.make_plan([phase], f"Merge of {vm.name}'s differencing disks", term=rules.term(order))
    try:
        return lifecycle.begin(vm.lab, Operation.Kind.CHECKPOINT_MERGE, plan, sim_now=sim_now, virtual_machine=vm,
                               source_node=vm.host_node, target_node=vm.host_node, requested_by=user,
                               was_running=vm.state == VirtualMachine.State.RUNNING)
    except IntegrityError:  # something else runs on the VM: its next power change starts the merge
        return None
