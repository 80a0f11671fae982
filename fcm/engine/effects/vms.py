"""Creating a virtual machine and where its files can live (a CSV path, a LUN's drive letter, a local disk)."""
import re

from django.db import IntegrityError, transaction

from fcm.inventory.models import ClusterDisk, Disk, DiskPath, FileShare, VirtualHardDisk, VirtualMachine
from fcm.sim.units import GB

from ..errors import VmError
from ..models import Outbox
from .shares import usable_share


CSV_PATH = re.compile(r"^C:\\ClusterStorage\\Volume(\d+)(\\.*)?$", re.IGNORECASE)


DRIVE_PATH = re.compile(r"^([A-Za-z]):\\(.*)$")


def resolve_location(node, path):
    """(LUN, FileShare, or None for the host's local disk) for a folder path, or VmError saying why not.

    C:\\ClusterStorage\\VolumeN\\... is the cluster's CSV number N; X:\\... is the
    LUN with drive letter X that the host sees; C: and D: are local disks; \\\\server\\share\\...
    is an SMB 3.0 share the host may keep VM files on.
    """
    path = (path or "").strip()
    if path.startswith("\\\\"):
        return usable_share(node, path)
    m = CSV_PATH.match(path)
    if m:
        cd = ClusterDisk.objects.filter(cluster=node.cluster_id, csv_number=int(m.group(1)),
                                        assignment=ClusterDisk.Assignment.CSV).select_related("disk").first() \
            if node.cluster_id else None
        if cd is None:
            raise VmError(f"{path.split(chr(92))[0]}\\ClusterStorage\\Volume{m.group(1)} is not a Cluster Shared "
                          f"Volume of the cluster of {node.name}.")
        if not DiskPath.objects.filter(disk=cd.disk, node=node, online=True).exists():
            raise VmError(f"{node.name} has no working path to {cd.name}.")
        return cd.disk
    m = DRIVE_PATH.match(path)
    if not m:
        raise VmError(r"Type a full folder path such as C:\ClusterStorage\Volume1\VM1, V:\VM1 or \\FS01\VMs\VM1.")
    letter = m.group(1).upper()
    lun = Disk.objects.filter(lab=node.lab_id, drive_letter=letter, paths__node=node,
                              paths__online=True).first()
    if lun is not None:
        return lun
    if letter in ("C", "D"):
        return None  # the host's own disks
    raise VmError(f"{node.name} has no drive {letter}: it cannot reach {path}.")


def placed(place, prefix=""):
    """The fields that say where a file is: its LUN or its share (neither: the host's local disk)."""
    share = place if isinstance(place, FileShare) else None
    return {f"{prefix}disk": None if share else place, f"{prefix}share": share}


def create_vm(user, node, spec):
    """Create the VM (Off) with its VHD; spec keys: name, location, memory_mb, dynamic_memory,
    switch, vhd (create|existing|later), vhd_path, vhd_size_gb, generation, guest_os."""
    with transaction.atomic():
        lun = resolve_location(node, spec["location"])
        try:
            vm = VirtualMachine.objects.create(
                lab_id=node.lab_id, name=spec["name"], host_node=node, state=VirtualMachine.State.OFF,
                generation=spec.get("generation", 1), memory_mb=spec["memory_mb"],
                dynamic_memory=spec.get("dynamic_memory", False), vcpus=1, guest_os=spec["guest_os"],
                configuration_path=spec["location"], virtual_switch=spec.get("switch", ""),
                **placed(lun, "configuration_"))
        except IntegrityError:
            raise VmError(f"A virtual machine named {spec['name']} already exists.") from None
        if spec.get("vhd") in ("create", "existing") and spec.get("vhd_path"):
            vhd_lun = resolve_location(node, spec["vhd_path"].rsplit("\\", 1)[0])
            size = int(spec.get("vhd_size_gb") or 40) * GB
            VirtualHardDisk.objects.create(
                virtual_machine=vm, path=spec["vhd_path"], **placed(vhd_lun), max_size_bytes=size,
                file_size_bytes=size if spec.get("vhd") == "existing" else 4 * 1024 ** 2,
                format="VHDX" if spec["vhd_path"].lower().endswith(".vhdx") else "VHD",
                kind="Dynamic", controller="SCSI 0:0" if vm.generation == 2 else "IDE 0:0")
        Outbox.objects.create(lab_id=node.lab_id, kind=Outbox.Kind.NODE, object_id=node.pk)
    return vm
