"""A virtual machine's Settings (Hyper-V Manager > Settings...): memory, Dynamic Memory, processors, the switch
its network adapter is connected to, checked as Hyper-V checks them.

Per-VM limits by version (Microsoft's Hyper-V scalability tables): Windows Server 2008 and 2008 R2 give a VM
at most 4 virtual processors and 64 GB; 2012 and 2012 R2 64 and 1 TB; 2016 and later 240 and 12 TB. A VM
never has more virtual processors than its host has logical processors, nor more memory than the host.
Memory is assigned in multiples of 2 MB. Startup memory, Dynamic Memory and processors change only while
the VM is off (runtime memory resize came with 2016, for VMs without Dynamic Memory); the network adapter's
switch may change while it runs. Dynamic Memory arrived with 2008 R2 Service Pack 1.
"""
from dataclasses import dataclass

GB_MB = 1024
#: version order -> (virtual processors, memory MB) a VM may have at most.
LIMITS = {1: (4, 64 * GB_MB), 2: (4, 64 * GB_MB), 3: (64, 1024 * GB_MB), 4: (64, 1024 * GB_MB)}
LIMITS_2016 = (240, 12 * 1024 * GB_MB)
MIN_MEMORY_MB = 32


def limits(version_order):
    return LIMITS.get(version_order, LIMITS_2016)


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def settings_problem(*, vm, off, version_order, dynamic_available, host, host_processors, host_memory_mb,
                     old, new):
    """The first reason the settings `new` (memory_mb, dynamic_memory, vcpus) cannot replace `old` on `vm`,
    a VM of `host`, or None."""
    max_vcpus, max_memory = limits(version_order)
    memory, vcpus = new["memory_mb"], new["vcpus"]
    if new["dynamic_memory"] and not dynamic_available:
        return Problem("dynamic_memory", f"{host} has no Dynamic Memory: it came with Windows Server 2008 R2 "
                                         "Service Pack 1.")
    if memory % 2:
        return Problem("memory_mb", "The amount of memory must be a multiple of 2 MB.")
    top = min(max_memory, host_memory_mb)
    if not MIN_MEMORY_MB <= memory <= top:
        return Problem("memory_mb", f"The startup memory must be from {MIN_MEMORY_MB} MB to {top} MB (what "
                                    f"{host} and this version of Hyper-V allow a virtual machine).")
    top = min(max_vcpus, host_processors)
    if not 1 <= vcpus <= top:
        return Problem("vcpus", f"{host} has {host_processors} logical processors: a virtual machine here can "
                                f"have from 1 to {top} virtual processors.")
    runtime_resize = version_order >= 5 and not old["dynamic_memory"] and not new["dynamic_memory"]
    changed = [k for k in ("memory_mb", "dynamic_memory", "vcpus") if new[k] != old[k]]
    if not off and changed and not (changed == ["memory_mb"] and runtime_resize):
        return Problem(changed[0], f"The memory and processor settings of '{vm}' can be changed only while it is "
                                   "turned off. Shut it down first.")
    return None
