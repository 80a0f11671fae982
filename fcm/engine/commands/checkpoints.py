"""Hyper-V Manager's checkpoints (snapshots before 2012 R2): Checkpoint, Apply / Revert, Rename, Delete
Checkpoint and Delete Checkpoint Subtree.

Taking and applying one are short operations (kinds/checkpoint.py, kinds/checkpoint_apply.py) whose lengths
come from fcm.sim.checkpoints; a deletion removes the checkpoints at once and leaves a merge
(kinds/checkpoint_merge.py) when a differencing disk is no longer needed: at once from Windows Server 2012,
when the VM is next turned off before. One operation per VM at a time (the database holds to it): anything
asked meanwhile is refused with Hyper-V's own message.
"""
from django.db import transaction

from fcm.inventory.models import Checkpoint, VirtualMachine
from fcm.sim import checkpoints as rules

from .. import lifecycle
from ..effects import checkpoints as effects
from ..errors import ServerError
from ..models import Operation
from ..outbox import mark_vm

#: The states Hyper-V takes a checkpoint in.
CHECKPOINTABLE = (VirtualMachine.State.RUNNING, VirtualMachine.State.OFF, VirtualMachine.State.SAVED,
                  VirtualMachine.State.PAUSED)
BUSY = "The operation cannot be performed while the object is in its current state. (0x800710DF)"


def _locked(vm):
    vm = VirtualMachine.objects.select_for_update().select_related("host_node", "lab").get(pk=vm.pk)
    host = vm.host_node
    if host.power_state != host.PowerState.ON:
        raise ServerError(f"{host.name} is not running: Hyper-V Manager cannot reach it.")
    if Operation.objects.filter(virtual_machine=vm, state__in=Operation.ACTIVE).exists():
        raise ServerError(f"{vm.name}: {BUSY} Wait for what it is doing to finish.")
    return vm


def _begin(vm, kind, phases, summary, user, **extra):
    plan = lifecycle.make_plan(phases, summary, term=rules.term(vm.host_node.version.order), **extra)
    return lifecycle.begin(vm.lab, kind, plan, virtual_machine=vm, source_node=vm.host_node, target_node=vm.host_node,
                           requested_by=user, was_running=vm.state == VirtualMachine.State.RUNNING,
                           conflict=ServerError(f"{vm.name}: {BUSY}"))


def _taking(vm):
    kind = vm.effective_checkpoint_type
    if kind == rules.DISABLED:
        raise ServerError(f"Checkpoints are disabled for '{vm.name}': turn them on in its Settings (Management > "
                          "Checkpoints).")
    if vm.checkpoints.count() >= rules.MAX_CHECKPOINTS:
        raise ServerError(f"'{vm.name}' already has {rules.MAX_CHECKPOINTS} checkpoints, the most a virtual "
                          "machine can have: delete one first.")
    S = VirtualMachine.State
    return rules.taking(vm.host_node.version.order, kind, vm.state == S.RUNNING, vm.memory_mb,
                        vm.hard_disks.count(), effects.storage_rate(vm), vm.workload_profile.disk_write_mib_s,
                        has_memory=vm.state in (S.RUNNING, S.PAUSED, S.SAVED))


def _take_fields(vm, taking, name):
    return {"name": name, "type": taking.type, "vm_state": vm.state, "saved_memory": taking.saves_memory}


def take_checkpoint(user, vm, name=""):
    """Checkpoint (Snapshot): a checkpoint named `name` (default: the VM's name and the time)."""
    with transaction.atomic():
        vm = _locked(vm)
        if vm.state not in CHECKPOINTABLE:
            raise ServerError(f"{vm.name} is {vm.get_state_display().lower()}: wait until it is running, off or "
                              "saved.")
        taking = _taking(vm)
        name = name.strip() or rules.default_name(vm.name, vm.lab.sim_now())
        problem = rules.name_problem(name)
        if problem:
            raise ServerError(problem, "name")
        phase = {"key": "take-checkpoint", "name": taking.step, "start_s": 0.0, "end_s": taking.seconds,
                 "state": vm.state, "detail": ""}
        return _begin(vm, Operation.Kind.CHECKPOINT, [phase], f"{rules.term(vm.host_node.version.order)} "
                      f"'{name}' of {vm.name}", user, **_take_fields(vm, taking, name))


def _checkpoint(vm, pk):
    checkpoint = Checkpoint.objects.filter(virtual_machine=vm, pk=pk).first()
    if checkpoint is None:
        raise ServerError(f"The {rules.term(vm.host_node.version.order).lower()} no longer exists: it was deleted.")
    return checkpoint


def apply_checkpoint(user, checkpoint, take_first=False):
    """Apply (Revert): the VM goes back to `checkpoint`; with `take_first` (Take Checkpoint and Apply) its
    current state is kept in a new checkpoint first."""
    with transaction.atomic():
        vm = _locked(checkpoint.virtual_machine)
        checkpoint = _checkpoint(vm, checkpoint.pk)
        phases, at = [], 0.0
        extra = {"checkpoint": checkpoint.pk, "take_first": take_first}
        if take_first:
            if vm.state not in CHECKPOINTABLE:
                raise ServerError(f"{vm.name} is {vm.get_state_display().lower()}: it cannot be checkpointed now.")
            taking = _taking(vm)
            name = rules.default_name(vm.name, vm.lab.sim_now())
            phases.append({"key": "take-checkpoint", "name": taking.step, "start_s": 0.0, "end_s": taking.seconds,
                           "state": vm.state, "detail": ""})
            at = taking.seconds
            extra.update(_take_fields(vm, taking, name))
        if vm.is_running:
            off = rules.turn_off_seconds()
            phases.append({"key": "turn-off", "name": "Turning off the virtual machine", "start_s": at,
                           "end_s": at + off, "state": VirtualMachine.State.STOPPING, "detail": ""})
            at += off
        files = rules.new_files_seconds(vm.hard_disks.count(), effects.storage_rate(vm))
        phases.append({"key": "apply-checkpoint", "name": "Creating the differencing disks", "start_s": at,
                       "end_s": at + files, "state": vm.state, "detail": ""})
        term = rules.term(vm.host_node.version.order)
        return _begin(vm, Operation.Kind.CHECKPOINT_APPLY, phases, f"Apply {term.lower()} '{checkpoint.name}' to "
                      f"{vm.name}", user, **extra)


def rename_checkpoint(user, checkpoint, name):
    """Rename...: at most 100 characters, never blank."""
    name = (name or "").strip()
    problem = rules.name_problem(name)
    if problem:
        raise ServerError(problem, "name")
    with transaction.atomic():
        vm = VirtualMachine.objects.select_for_update().get(pk=checkpoint.virtual_machine_id)
        checkpoint = _checkpoint(vm, checkpoint.pk)
        checkpoint.name = name
        checkpoint.save(update_fields=["name"])
        mark_vm(vm)
    return checkpoint


def delete_checkpoint(user, checkpoint, subtree=False):
    """Delete Checkpoint (and Delete Checkpoint Subtree): gone from the tree at once; the differencing disks
    no checkpoint needs merge (kinds/checkpoint_merge.py), while the VM runs from 2012, else once it is off."""
    with transaction.atomic():
        vm = _locked(checkpoint.virtual_machine)
        checkpoint = _checkpoint(vm, checkpoint.pk)
        gone = effects.subtree(checkpoint) if subtree else [checkpoint]
        effects.delete(vm, gone)
        return effects.start_merge(user, vm)
