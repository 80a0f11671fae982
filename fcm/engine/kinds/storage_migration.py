"""Virtual Machine Storage Migration (2012+): the VHDs are copied and mirrored while the VM runs, then
it switches to the new files. At most `SimultaneousStorageMigrations` run per host."""
from .. import planning
from ..effects.checkpoints import move_files
from ..effects.moves import hosts_limits, log_move_failure
from ..models import Operation
from ..registry import OperationKind, register


@register
class StorageMigration(OperationKind):
    kind = Operation.Kind.STORAGE_MIGRATION
    limit_group = "storage"

    def host_limit(self, op):
        if not op.was_running:
            return None
        return hosts_limits(op, op.role.cluster.simultaneous_storage_migrations, "max_storage_migrations")

    def plan(self, op, sim_now):
        return planning.plan_queued(op, check_target_node=False)

    def enter_phase(self, op, phase, sim_now):
        if phase["key"] == "switch-storage":
            repoint_storage(op)

    def finished(self, op, state, sim_time):
        if state == Operation.State.FAILED:
            log_move_failure(op, op.get_kind_display(), op.message, sim_time)


def repoint_storage(op):
    """The VM's configuration and VHDs now live on the destination volume; the used space follows."""
    vm, dest = op.virtual_machine, op.target_disk
    folder = (rf"{dest.volume_path}\{vm.name}" if dest.volume_path else vm.name)
    moved = 0
    for vhd in vm.hard_disks.all():
        vhd.path = rf"{folder}\{vhd.path.rsplit(chr(92), 1)[-1]}"
        vhd.disk_id = dest.disk_id
        moved += vhd.file_size_bytes
        vhd.save(update_fields=["path", "disk"])
    moved += move_files(vm, folder)  # its checkpoints' files too
    source_lun = vm.configuration_disk
    vm.configuration_path, vm.configuration_disk_id = folder, dest.disk_id
    vm.save(update_fields=["configuration_path", "configuration_disk"])
    dest.disk.used_bytes += moved
    dest.disk.save(update_fields=["used_bytes"])
    if source_lun is not None:
        source_lun.used_bytes = max(source_lun.used_bytes - moved, 0)
        source_lun.save(update_fields=["used_bytes"])
