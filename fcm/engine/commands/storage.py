"""Storage an administrator manages: Add Disk, Move Available Storage, a Cluster Shared Volume's Move, a disk's
Bring Online / Take Offline, and Change Drive Letter (2008 / 2008 R2: Change drive letter).

Each command checks what it is given under the cluster's lock, commits the change with its Outbox rows and
refuses with a `DiskError` in the product's words (changing nothing). Moves take time: they are
`move-storage` Operations (kinds/move_storage.py) whose phases come from fcm.sim.disks. What the dialogs list
is read by the same checks (effects/disks.py), so a dialog and a refusal never disagree.
"""
from django.db import IntegrityError, transaction
from django.db.models import Q

from fcm.inventory.models import Cluster, ClusterDisk, Disk, Resource, VirtualMachine
from fcm.sim import disks as disksim

from .. import lifecycle
from ..effects import disks as effects
from ..effects.storage import reconcile
from ..errors import DiskError
from ..facts import paths_of
from ..models import Operation, Outbox
from ..outbox import mark, mark_role
from ..phases import phase


def _locked_cluster(cluster):
    cluster = Cluster.objects.select_for_update(of=("self",)).select_related("lab").get(pk=cluster.pk)
    if cluster.state != Cluster.State.RUNNING:
        raise DiskError(f"The cluster {cluster.name} is not running: its storage cannot change now.")
    return cluster


# -- Add Disk ----------------------------------------------------------------------------------------

def add_disks(user, cluster, disk_ids):
    """Storage > Add Disk (2008 / 2008 R2: Add a disk): the ticked LUNs join Available Storage as "Cluster Disk N"
    (Get-ClusterAvailableDisk | Add-ClusterDisk). `disk_ids`: Disk pks. Returns the new ClusterDisks."""
    ids = list(dict.fromkeys(disk_ids))
    if not ids:
        raise DiskError("Select the disks to add to the cluster.", "disks")
    with transaction.atomic():
        cluster = _locked_cluster(cluster)
        luns = list(Disk.objects.filter(lab_id=cluster.lab_id, pk__in=ids).order_by("name"))
        if len(luns) != len(ids):
            raise DiskError("A selected disk is not a disk of this lab; open Add Disk again.", "disks")
        for lun in luns:
            problem = effects.add_disk_refusal(cluster, lun)
            if problem:
                raise DiskError(problem, "disks")
        owner = effects.available_storage_owner(cluster)
        if owner is None:
            raise DiskError(f"No node of {cluster.name} is up to take the disks.", "disks")
        names = disksim.next_disk_names(list(ClusterDisk.objects.filter(cluster=cluster)
                                             .values_list("name", flat=True)), len(luns))
        try:
            with transaction.atomic():
                created = [ClusterDisk.objects.create(cluster=cluster, disk=lun, name=name, owner_node=owner,
                                                      assignment=ClusterDisk.Assignment.AVAILABLE)
                           for lun, name in zip(luns, names)]
        except IntegrityError:
            raise DiskError("A selected disk was added to a cluster meanwhile; open Add Disk again.", "disks") \
                from None
        for cd in created:
            mark(cluster.lab_id, Outbox.Kind.DISK, cd.pk)
        mark(cluster.lab_id, Outbox.Kind.CLUSTER, cluster.pk)  # open Disks lists list themselves again
    return created


# -- moves ----------------------------------------------------------------------------------------------

def _target(cluster, disks, source, target, what):
    """The node `disks` go to: `target` (a Node, checked) or, when None, the best possible node."""
    source_name = source.name if source else ""
    if target is None:
        best = effects.best_node(cluster, disks, source_name)
        if best is None:
            reasons = [reason for _, reason in effects.move_options(cluster, disks, source_name) if reason]
            raise DiskError(f"No other node can take {what}." + (" " + " ".join(reasons) if reasons else ""),
                            "target")
        return best
    if target.cluster_id != cluster.pk:
        raise DiskError(f"{target.name} is not a node of {cluster.name}.", "target")
    if target.pk == getattr(source, "pk", None):
        raise DiskError(f"{what} is already on {target.name}.", "target")
    reasons = dict((n.pk, reason) for n, reason in effects.move_options(cluster, disks, source_name))
    if reasons.get(target.pk):
        raise DiskError(reasons[target.pk], "target")
    return target


def _active_move(cluster, cluster_disk=None):
    ops = Operation.objects.filter(cluster=cluster, kind=Operation.Kind.MOVE_STORAGE, state__in=Operation.ACTIVE)
    ops = ops.filter(target_disk=cluster_disk) if cluster_disk is not None else ops.filter(target_disk__isnull=True)
    return ops.select_related("target_node").first()


def _begin_move(user, cluster, plan, group, disks, source, target, summary, cluster_disk=None):
    online = [d.pk for d in disks if d.state == ClusterDisk.State.ONLINE]
    return lifecycle.begin(cluster.lab, Operation.Kind.MOVE_STORAGE,
                           lifecycle.make_plan(phases_of(plan), summary, group=group, disks=[d.pk for d in disks],
                                               online=online),
                           cluster=cluster, source_node=source, target_node=target, target_disk=cluster_disk,
                           requested_by=user, was_running=False)


def phases_of(plan):
    """A fcm.sim.disks plan's phases as an Operation stores them."""
    return [phase(p.key, p.name, p.start_s, p.end_s, p.state, p.detail) for p in plan.phases]


def _failed(disks):
    failed = [d.name for d in disks if d.state == ClusterDisk.State.FAILED]
    if failed:
        raise DiskError(f"{', '.join(failed)} has failed: repair it before moving it.", "target")


def start_move_available_storage(user, cluster, target=None):
    """Move Available Storage > Best Possible Node (`target` None) / Select Node... (Move-ClusterGroup
    "Available Storage" -Node <n>): every disk of the group moves to one node."""
    with transaction.atomic():
        cluster = _locked_cluster(cluster)
        disks = list(ClusterDisk.objects.filter(cluster=cluster, assignment=ClusterDisk.Assignment.AVAILABLE)
                     .select_related("disk", "owner_node").order_by("name"))
        if not disks:
            raise DiskError("Available Storage holds no disks to move.", "target")
        active = _active_move(cluster)
        if active is not None:
            raise DiskError(f"Available Storage is already moving to {active.target_node.name}; wait for it to "
                            "finish.", "target")
        _failed(disks)
        source = effects.available_storage_owner(cluster)
        target = _target(cluster, disks, source, target, "Available Storage")
        return _begin_move(user, cluster, disksim.plan_group_move(len(disks)), effects.AVAILABLE_STORAGE, disks,
                           source, target, f"Move Available Storage to {target.name}")


def start_move_csv(user, cluster_disk, target=None):
    """A Cluster Shared Volume's Move > Best Possible Node / Select Node... (2008 R2: Move this shared volume to
    another node; Move-ClusterSharedVolume -Name <csv> -Node <n>): its coordinator changes."""
    with transaction.atomic():
        cluster = _locked_cluster(cluster_disk.cluster)
        cd = (ClusterDisk.objects.select_for_update(of=("self",)).select_related("disk", "owner_node")
              .get(pk=cluster_disk.pk))
        if cd.assignment != ClusterDisk.Assignment.CSV:
            raise DiskError(f"{cd.name} is not a Cluster Shared Volume.", "target")
        active = _active_move(cluster, cd)
        if active is not None:
            raise DiskError(f"{cd.name} is already moving to {active.target_node.name}; wait for it to finish.",
                            "target")
        _failed([cd])
        target = _target(cluster, [cd], cd.owner_node, target, cd.name)
        return _begin_move(user, cluster, disksim.plan_csv_move(), effects.CSV, [cd], cd.owner_node, target,
                           f"Move {cd.name} to {target.name}", cluster_disk=cd)


# -- Bring Online / Take Offline --------------------------------------------------------------------

def _vms_using(cd):
    return VirtualMachine.objects.filter(Q(configuration_disk=cd.disk) | Q(hard_disks__disk=cd.disk)).distinct()


def set_disk_online(user, cluster_disk, online):
    """Bring Online / Take Offline (2008 / 2008 R2: Bring this resource online / Take this resource offline) of a
    cluster disk (Start-ClusterResource / Stop-ClusterResource). The disk witness, and a disk a running virtual
    machine keeps files on, are refused: stop what depends on it first."""
    with transaction.atomic():
        cluster = _locked_cluster(cluster_disk.cluster)
        cd = ClusterDisk.objects.select_for_update(of=("self",)).select_related("disk", "role").get(pk=cluster_disk.pk)
        S = ClusterDisk.State
        if cd.state in (S.OFFLINE_PENDING, S.ONLINE_PENDING) or any(
                cd.pk in op.plan.get("disks", ()) for op in Operation.objects.filter(
                    cluster=cluster, kind=Operation.Kind.MOVE_STORAGE, state__in=Operation.ACTIVE)):
            raise DiskError(f"{cd.name} is moving between nodes; wait for the move to finish.")
        if online:
            if cd.state == S.ONLINE:
                raise DiskError(f"{cd.name} is already online.")
            if not cd.disk.online:
                raise DiskError(f"The disk '{cd.disk.name}' does not answer: {cd.name} cannot come online until the "
                                "disk is repaired.")
            _, paths = paths_of(cluster)
            if not paths[cd.disk_id]:
                raise DiskError(f"No running node has a working path to {cd.name}: it cannot come online.")
        else:
            if cd.state == S.OFFLINE:
                raise DiskError(f"{cd.name} is already offline.")
            if cd.state == S.FAILED:
                raise DiskError(f"{cd.name} has failed; it is not online.")
            if cd.assignment == ClusterDisk.Assignment.WITNESS:
                raise DiskError(f"{cd.name} is the disk witness in quorum: taking it offline would cost the cluster "
                                "its witness vote. Configure the cluster quorum to use another witness first.")
            running = sorted(set(_vms_using(cd).filter(state__in=VirtualMachine.RUNNING_STATES)
                                 .values_list("name", flat=True)))
            if running:
                raise DiskError(f"{', '.join(running)} keep{'s' if len(running) == 1 else ''} files on {cd.name} "
                                f"and {'is' if len(running) == 1 else 'are'} running: take "
                                f"{'its role' if len(running) == 1 else 'their roles'} offline first, then take "
                                "the disk offline.")
        ClusterDisk.objects.filter(pk=cd.pk).update(state=S.ONLINE if online else S.OFFLINE)
        Resource.objects.filter(cluster_disk=cd).update(
            state=Resource.State.ONLINE if online else Resource.State.OFFLINE)
        mark(cluster.lab_id, Outbox.Kind.DISK, cd.pk)
        if cd.role_id:
            mark_role(cd.role)
        if online:
            reconcile(cluster, cluster.lab.sim_now(), user)  # the owner must reach it: else a node that does


# -- Change Drive Letter -------------------------------------------------------------------------------------

def change_drive_letter(user, cluster_disk, letter):
    """A disk's More Actions > Change Drive Letter (2008 / 2008 R2: Change drive letter, in the disk's details). A
    letter in use on any node is refused, and so is a disk whose virtual machines point at its letter."""
    with transaction.atomic():
        cluster = _locked_cluster(cluster_disk.cluster)
        cd = ClusterDisk.objects.select_for_update(of=("self",)).select_related("disk").get(pk=cluster_disk.pk)
        if cd.assignment == ClusterDisk.Assignment.CSV:
            raise DiskError(rf"{cd.name} is a Cluster Shared Volume, reached at C:\ClusterStorage\Volume"
                            f"{cd.csv_number} on every node: it has no drive letter.", "letter")
        letter = (letter or "").strip().rstrip(":").upper()
        problem = disksim.drive_letter_problem(letter, cd.disk.drive_letter,
                                               effects.drive_letters_in_use(cluster, exclude=cd.disk))
        if problem:
            raise DiskError(problem, "letter")
        users = sorted(set(_vms_using(cd).values_list("name", flat=True)))
        if users and cd.disk.drive_letter:
            raise DiskError(f"{', '.join(users)} keep{'s' if len(users) == 1 else ''} files at "
                            f"{cd.disk.drive_letter}:\\; a new drive letter would break "
                            f"{'its' if len(users) == 1 else 'their'} paths. Move the storage first.", "letter")
        Disk.objects.filter(pk=cd.disk_id).update(drive_letter=letter)
        mark(cluster.lab_id, Outbox.Kind.DISK, cd.pk)
        mark(cluster.lab_id, Outbox.Kind.CLUSTER, cluster.pk)  # open Disks lists list themselves again
