"""How long a VM takes to boot, save, restore and shut down.

numbers.md: a guest's cold boot after failover takes 30-90 s (an
assumption, per VM); Server Core boots and fails over faster (seed 003);
Generation 2 VMs boot about 20 % faster. Saving and restoring write and
read the VM's memory at the storage throughput. Pausing and resuming stop
and start the VM's virtual processors one by one; its memory stays where it
is, so they take a moment whatever its size.
"""

#: Cold boot of a full installation, by the guest's Windows Server version.
BOOT_S = {"2008": 60.0, "2008 R2": 50.0, "2012": 40.0, "2012 R2": 38.0, "2016": 35.0, "2019": 33.0, "2022": 32.0}
CORE_FACTOR = 0.6
GEN2_FACTOR = 0.8
SHUTDOWN_S = {"Full": 20.0, "Core": 12.0}
TURN_OFF_S = 0.5
#: Fixed part of a save or restore (pausing, writing the state file header).
SAVE_OVERHEAD_S = 1.0
#: Suspending (or resuming) one virtual processor.
VP_SWITCH_S = 0.1


def _guest_version(guest_os):
    for version in sorted(BOOT_S, key=len, reverse=True):
        if f"Windows Server {version}" in guest_os:
            return version
    return "2012"


def boot_seconds(guest_os, install_option="Full", generation=1):
    seconds = BOOT_S[_guest_version(guest_os)]
    if install_option == "Core":
        seconds *= CORE_FACTOR
    if generation == 2:
        seconds *= GEN2_FACTOR
    return seconds


def save_seconds(memory_mib, storage_mib_s):
    if storage_mib_s <= 0:
        raise ValueError("storage throughput must be positive")
    return SAVE_OVERHEAD_S + memory_mib / storage_mib_s


restore_seconds = save_seconds


def shutdown_seconds(install_option="Full"):
    return SHUTDOWN_S.get(install_option, SHUTDOWN_S["Full"])


def pause_seconds(vcpus=1):
    """Pause (Suspend-VM): each virtual processor is suspended; the memory is not touched."""
    return VP_SWITCH_S * max(int(vcpus), 1)


resume_seconds = pause_seconds
