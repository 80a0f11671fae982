"""Hyper-V Manager's "Move the virtual machine's storage" for a VM in no cluster: its virtual hard disks and
configuration copied to another folder of its host while it runs, the blocks written meanwhile in one more
pass, then the VM uses the new files and the old ones are deleted (no downtime). At most the host's
"Simultaneous storage migrations" run at once.
"""
from fcm.inventory.models.vms import VirtualMachine

from .. import planning
from ..effects.hyperv_hosts import rehome
from ..models import Operation, Outbox
from ..outbox import mark, mark_vm
from ..registry import OperationKind, register


@register
class VmStorageMove(OperationKind):
    kind = Operation.Kind.VM_STORAGE_MOVE
    limit_group = "storage"

    def vm_status(self, op):
        return "Moving storage"

    def host_limit(self, op):
        return {op.source_node_id: op.source_node.max_storage_migrations} if op.source_node else None

    def plan(self, op, sim_now):
        vm = VirtualMachine.objects.select_related("configuration_disk", "configuration_share__server") \
            .get(pk=op.virtual_machine_id)
        return {**op.plan, **planning.plan_vm_storage_move(vm, op.source_node, planning.folder_place(op.plan))}

    def enter_phase(self, op, phase, sim_now):
        if phase["key"] == "switch-storage":
            rehome(op)
        mark_vm(op.virtual_machine)
        mark(op.lab_id, Outbox.Kind.OPERATION, op.pk)  # the Move Wizard's progress

    def complete(self, op, sim_time):
        mark_vm(op.virtual_machine)
        mark(op.lab_id, Outbox.Kind.OPERATION, op.pk)  # the Move Wizard's progress
