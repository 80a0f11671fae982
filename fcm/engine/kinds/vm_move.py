"""Hyper-V Manager's Move of a virtual machine in no cluster to another host.

A running VM moves by shared-nothing live migration: its virtual hard disks are copied to the
destination while it runs, the blocks written meanwhile follow in one pass and every new write goes
to both copies, then its memory moves in rounds and it resumes on the destination (a pause of
milliseconds). A VM that is off or saved moves its files and configuration. Its Status shows the
progress; the destination takes it when it resumes there (or when its files are registered), and
the source's copy is deleted. At most each host's "Simultaneous live migrations" run at once.
"""
from django.db.models import Q

from fcm.inventory.models.vms import MigrationState, VirtualMachine

from .. import planning
from ..models import Operation, Outbox
from ..effects.hyperv_hosts import rehome
from ..effects.moves import MIGRATION_STATES
from ..outbox import mark, mark_vm
from ..registry import OperationKind, register



@register
class VmMove(OperationKind):
    kind = Operation.Kind.VM_MOVE
    limit_group = "live"

    def vm_status(self, op):
        return "Migrating"

    def host_limit(self, op):
        return {node.pk: node.max_vm_migrations for node in (op.source_node, op.target_node) if node is not None}

    def plan(self, op, sim_now):
        vm = VirtualMachine.objects.select_related("configuration_disk", "configuration_share__server") \
            .get(pk=op.virtual_machine_id)
        hosts = [op.source_node_id, op.target_node_id]
        sharing = Operation.objects.filter(lab_id=op.lab_id, kind=self.kind, state=Operation.State.RUNNING) \
            .filter(Q(source_node__in=hosts) | Q(target_node__in=hosts)).exclude(pk=op.pk).count()
        return {**op.plan, **planning.plan_vm_move(vm, op.source_node, op.target_node, planning.folder_place(op.plan),
                                                         streams=sharing + 1, only_vm=bool(op.plan.get("only_vm")))}

    def enter_phase(self, op, phase, sim_now):
        vm = op.virtual_machine
        vm.migration_state = MIGRATION_STATES.get(phase["state"], MigrationState.MOVE)
        vm.save(update_fields=["migration_state"])
        if phase["key"] in ("resume-on-target", "switch-storage"):
            rehome(op)
        mark_vm(vm)
        mark(op.lab_id, Outbox.Kind.OPERATION, op.pk)  # the Move Wizard's progress

    def complete(self, op, sim_time):
        vm = op.virtual_machine
        vm.migration_state = MigrationState.NO_MIGRATION
        vm.save(update_fields=["migration_state"])
        mark_vm(vm)
        mark(op.lab_id, Outbox.Kind.OPERATION, op.pk)  # the Move Wizard's progress

    def finished(self, op, state, sim_time):
        if state == Operation.State.FAILED:
            vm = op.virtual_machine
            vm.migration_state = MigrationState.NO_MIGRATION
            vm.save(update_fields=["migration_state"])
            mark_vm(vm)
        mark(op.lab_id, Outbox.Kind.OPERATION, op.pk)  # the Move Wizard's progress
