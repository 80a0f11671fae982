"""Hyper-V checkpoints (snapshots before Windows Server 2012 R2): their names, files, types, how long
taking, applying and deleting one take, and which differencing disks a deletion merges.

Facts (Microsoft Learn, "Using checkpoints to revert virtual machines to a previous state", the Checkpoint-VM
and Restore-VMSnapshot references; seed 004):

- Windows Server 2012 R2 renamed snapshots to checkpoints; 2016 added production checkpoints (the Volume
  Shadow Copy Service inside the guest, no memory) and made them the default, standard checkpoints (the
  disks and the memory) being the only kind before;
- a checkpoint freezes each virtual hard disk and gives the VM a differencing disk beside it,
  `<name>_<GUID>.avhdx` (`.avhd` under a `.vhd`), that takes every later write;
- the default name is the VM's name and the time it was taken, a name is at most 100 characters and never
  blank; at most 50 checkpoints per VM;
- applying a checkpoint discards the current state (or first checkpoints it: Take Checkpoint and Apply); a
  standard checkpoint taken while the VM ran brings it back saved, a production checkpoint brings it back
  off;
- deleting a checkpoint merges its differencing disk into its parent; from Windows Server 2012 the merge
  runs while the VM runs (seed 004: "merge snapshots while the VM is online"), before that it waits until
  the VM is turned off.

Where the merge model needs a rule no source spells out it says so: a frozen file with one child merges
with it (the child's blocks written into the parent, the child deleted, whatever used the child now uses
the parent); a frozen file with several children (a checkpoint applied, then another branch grown) stays
until only one branch needs it.
"""
import uuid
from dataclasses import dataclass

from . import vm_power
from .units import MB as MIB

#: Checkpoints came with 2012 R2 (version order 4); 2008 to 2012 call them snapshots.
CHECKPOINT_NAME_ORDER = 4
#: Production checkpoints and the checkpoint type setting (Windows Server 2016, order 5).
PRODUCTION_ORDER = 5
#: Snapshots merge while the VM runs from Windows Server 2012 (order 3).
LIVE_MERGE_ORDER = 3
MAX_CHECKPOINTS = 50
MAX_NAME = 100

STANDARD, PRODUCTION, PRODUCTION_ONLY, DISABLED = "Standard", "Production", "ProductionOnly", "Disabled"
TYPES = (PRODUCTION, PRODUCTION_ONLY, STANDARD, DISABLED)

#: A new VHDX file is about 4 MiB before any block is written (headers, log, block allocation table,
#: metadata); a new differencing disk is one of them.
NEW_VHDX_MIB = 4.0
#: Writing a VM's configuration (.vmcx / .xml) for the checkpoint: a few hundred KiB.
CONFIGURATION_MIB = 0.5
#: Seconds the guest's cache manager keeps data unwritten on average (its lazy writer flushes an eighth of
#: the dirty pages each second): what VSS asks the guest to flush before it freezes. [PK]
GUEST_DIRTY_S = 8.0


def term(version_order):
    """"Checkpoint" from Windows Server 2012 R2, "Snapshot" before."""
    return "Checkpoint" if version_order >= CHECKPOINT_NAME_ORDER else "Snapshot"


def has_types(version_order):
    """The checkpoint type setting (Production / Standard) exists (2016 onwards)."""
    return version_order >= PRODUCTION_ORDER


def default_type(version_order):
    return PRODUCTION if has_types(version_order) else STANDARD


def default_name(vm_name, when):
    """The name Hyper-V Manager gives a checkpoint: the VM's name and the local time it was taken."""
    hour = when.hour % 12 or 12
    stamp = f"{when.month}/{when.day}/{when.year} - {hour}:{when.minute:02d}:{when.second:02d} " \
            f"{'AM' if when.hour < 12 else 'PM'}"
    return f"{vm_name} - ({stamp})"[:MAX_NAME]


def name_problem(name):
    """Why `name` cannot name a checkpoint, or ""."""
    if not name.strip():
        return "The name cannot be blank."
    if len(name) > MAX_NAME:
        return f"The name can be at most {MAX_NAME} characters long."
    return ""


def differencing_path(parent_path, seed):
    """The file a checkpoint gives the VM beside `parent_path`: `<stem>_<GUID>.avhdx` (`.avhd` under a VHD).
    `seed` makes the GUID the same every time for the same checkpoint and disk."""
    folder, _, file = parent_path.replace("/", "\\").rpartition("\\")
    stem, _, ext = file.rpartition(".")
    if not stem:
        stem, ext = file, "vhd"
    base = stem.rsplit("_", 1)[0] if _is_differencing(ext) else stem
    guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"fcm-checkpoint:{seed}")).upper()
    new_ext = "avhdx" if ext.lower() in ("vhdx", "avhdx") else "avhd"
    return f"{folder}\\{base}_{guid}.{new_ext}" if folder else f"{base}_{guid}.{new_ext}"


def _is_differencing(ext):
    return ext.lower() in ("avhd", "avhdx")


@dataclass(frozen=True)
class Taking:
    """What taking a checkpoint does: its type, what it saves and how long it takes."""

    type: str
    saves_memory: bool
    seconds: float
    step: str


def new_files_seconds(drives, storage_mib_s):
    """Creating one differencing disk per drive and writing the configuration."""
    return round((NEW_VHDX_MIB * max(drives, 0) + CONFIGURATION_MIB) / max(storage_mib_s, 1.0), 3)


def turn_off_seconds():
    """Turning the VM off before a checkpoint is applied (its current state is discarded, not saved)."""
    return vm_power.TURN_OFF_S


def taking(version_order, configured_type, running, memory_mib, drives, storage_mib_s, disk_write_mib_s,
           has_memory=None):
    """How a checkpoint of a VM is taken. `drives`: how many virtual hard disks it has; `running`: the guest
    runs (a production checkpoint needs it: VSS runs in the guest); `has_memory`: the VM has a memory state
    to keep (running, paused or saved; default: `running`).

    A standard checkpoint of a VM with memory writes it (the saved state) at the storage's speed; a
    production checkpoint asks the running guest to flush its writes and freeze (VSS) instead; both then
    create one differencing disk per drive and write the configuration. A paused or saved VM cannot run
    VSS: its checkpoint is a standard one, as the product falls back to."""
    has_memory = running if has_memory is None else has_memory
    storage = max(storage_mib_s, 1.0)
    files = new_files_seconds(drives, storage)
    kind = configured_type if has_types(version_order) else STANDARD
    if kind == DISABLED:
        raise ValueError("checkpoints are disabled")
    production = kind in (PRODUCTION, PRODUCTION_ONLY) and running
    if production:
        flush = disk_write_mib_s * GUEST_DIRTY_S / storage
        return Taking(PRODUCTION, False, round(flush + files, 2),
                      "Creating the checkpoint with the Volume Shadow Copy Service in the guest")
    if has_memory:
        return Taking(STANDARD, True, round(vm_power.save_seconds(memory_mib, storage) + files, 2),
                      "Saving the memory")
    return Taking(PRODUCTION if kind != STANDARD and has_types(version_order) else STANDARD, False,
                  round(files, 2), "Creating the differencing disks")


def state_after_apply(checkpoint_type, saved_memory):
    """The VM's state once a checkpoint is applied: Saved when the checkpoint holds memory, else Off."""
    return "Saved" if saved_memory and checkpoint_type == STANDARD else "Off"


def grown_bytes(file_bytes, max_bytes, disk_write_mib_s, seconds):
    """A differencing disk's size after the running guest wrote to it for `seconds` (each write lands in a
    block of its own, the upper bound; never beyond the virtual disk's size plus its metadata)."""
    grown = file_bytes + int(max(disk_write_mib_s, 0.0) * max(seconds, 0.0) * MIB)
    return min(grown, max_bytes + int(NEW_VHDX_MIB * MIB))


def merge_seconds(child_bytes, storage_mib_s, disk_write_mib_s=0.0):
    """How long merging a differencing disk into its parent takes: every block read from the child and
    written into the parent (the storage does both), less what the running guest writes meanwhile."""
    share = max(storage_mib_s, 1.0) / 2 - max(disk_write_mib_s, 0.0)
    share = max(share, max(storage_mib_s, 1.0) / 20)  # a busy guest slows the merge, never stops it
    return round(child_bytes / MIB / share, 2)


def merges(parents, frozen_by, deleted, active=()):
    """What deleting the checkpoints `deleted` does to one drive's chain of files.

    `parents`: {file: its parent file or None} for every file of the drive; `frozen_by`: {file: the checkpoint
    it holds, or None}; `active`: the file(s) the VM writes to. Returns, in order, `(child, parent)`: `child`
    merges into `parent` and disappears, or `(file, None)`: a file nothing needs any more (it holds no
    checkpoint, nothing grew from it, the VM does not use it) is deleted without a merge. A file still holding
    a checkpoint, the active file, or a file several others grew from, stays."""
    holder = {f: (None if c in deleted else c) for f, c in frozen_by.items()}
    for f in active:
        holder[f] = "<active>"
    parents = dict(parents)
    out = []

    def children(file):
        return [c for c, p in parents.items() if p == file]

    def unneeded(file):
        return holder.get(file) is None

    # First every file nothing needs and nothing grew from, again and again (dropping one may leave its
    # parent such a file): no block of theirs is read, so no merge is timed on them.
    dropped = True
    while dropped:
        dropped = False
        for file in sorted(parents, key=str):
            if unneeded(file) and not children(file):
                out.append((file, None))
                del parents[file]
                holder.pop(file, None)
                dropped = True
    # Then each unneeded file with one child merges with it (the child's blocks into the parent); what the
    # child held (a checkpoint, or the VM's current state) now lives in the parent, whose place stays.
    merged = True
    while merged:
        merged = False
        for file in sorted(parents, key=str):
            kids = children(file)
            if not unneeded(file) or len(kids) != 1:
                continue
            child = kids[0]
            out.append((child, file))
            holder[file] = holder.get(child)
            for c, p in list(parents.items()):
                if p == child:
                    parents[c] = file
            del parents[child]
            holder.pop(child, None)
            merged = True
            break
    return out
