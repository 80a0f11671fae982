"""The physical limits a lab's numbers stay within, as model field validators.

Validators on the model fields, not checks in each form, so the administration, the console's
forms, lab files and dumps (both loaded through `full_clean`) refuse the same values with the
same message at the field. A clock at 1e300 x overflows `Lab.sim_now()` for the whole engine
pass; a 10**30-byte disk overflows the database: neither is a lab anyone can build.

The ceilings are the products' own where they publish one (Windows Server 2016+: 12 TB of memory
per VM and per host, 240 virtual processors, VHDX files of 64 TB) and a generous physical one
elsewhere (a LUN of 64 TiB, a 400 Gbit/s link).
"""
import math

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

TiB = 1024 ** 4

#: The clock: 0 pauses it, 60 is the fastest the console offers a trainer.
MAX_CLOCK_SPEED = 60
#: A LUN or a virtual hard disk file: 64 TiB (the VHDX maximum; the SAN arrays' usual LUN ceiling).
MAX_DISK_BYTES = 64 * TiB
#: Memory of a host or a VM, MB: 12 TiB (Windows Server 2016's per-host and per-VM maximum).
MAX_MEMORY_MB = 12 * 1024 * 1024
#: Virtual processors of a VM (Windows Server 2016 Hyper-V's maximum).
MAX_VCPUS = 240
#: A network link or WAN link, Mbit/s: 400 Gbit/s.
MAX_LINK_MBPS = 400_000
#: A LUN's sustained throughput, MiB/s: 64 GiB/s (an NVMe array over 400 Gbit/s fabric, and then some).
MAX_DISK_THROUGHPUT_MIB_S = 65_536
#: Simultaneous migrations: far beyond what any host's links carry at once.
MAX_MIGRATIONS_AT_ONCE = 64
#: A replication's amounts (sizes, changes), MiB: what the largest disks hold, many times over.
MAX_REPLICATION_MIB = 1024 * 64 * 1024 * 1024


def clock_speed_in_range(speed):
    """Whether a lab's clock may run at `speed` (NaN compares false, so it is out)."""
    return 0 <= speed <= MAX_CLOCK_SPEED


def finite(value):
    """NaN and infinities pass every min/max comparison: refuse them by name."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError("Enter a finite number.", code="not_finite")


def between(low, high):
    """Validators keeping a number in [low, high] (and finite)."""
    return [finite, MinValueValidator(low), MaxValueValidator(high)]


CLOCK_SPEED = between(0, MAX_CLOCK_SPEED)
DISK_BYTES = between(1, MAX_DISK_BYTES)
USED_BYTES = between(0, MAX_DISK_BYTES)
MEMORY_MB = between(1, MAX_MEMORY_MB)
VCPUS = between(1, MAX_VCPUS)
LINK_MBPS = between(1, MAX_LINK_MBPS)
DISK_THROUGHPUT = between(1, MAX_DISK_THROUGHPUT_MIB_S)
REPLICATION_MIB = between(0, MAX_REPLICATION_MIB)
#: Simultaneous live or storage migrations a host (or a cluster) runs; more wait in the queue.
MIGRATIONS_AT_ONCE = between(1, MAX_MIGRATIONS_AT_ONCE)
