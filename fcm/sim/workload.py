"""Guest workload profiles: how fast a running VM dirties its memory.

The live-migration model (numbers.md: iterative pre-copy) needs, per VM, a
page dirty rate D and a writable working set W. Real figures depend on the
guest; these profiles give each demo VM a plausible, named behaviour that a
trainer can change per VM.
"""
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class WorkloadProfile:
    code: str
    label: str
    #: Memory the guest dirties per second while running, MiB/s.
    dirty_rate_mib_s: float
    #: Share of assigned memory that is re-dirtied over and over (hot set).
    writable_working_set_fraction: float
    #: Data written to its virtual disks per second, MiB/s (storage migration mirrors it).
    disk_write_mib_s: float = 1.0
    #: What Hyper-V Manager's CPU Usage column shows while it runs: its share of the host's processors, %.
    cpu_percent: int = 1


_PROFILES = (
    WorkloadProfile("idle", "Idle", 2.0, 0.01, 0.2, 0),
    WorkloadProfile("file-server", "File server", 8.0, 0.03, 6.0, 2),
    WorkloadProfile("web", "Web server", 15.0, 0.05, 1.5, 4),
    WorkloadProfile("database", "Database (OLTP)", 60.0, 0.12, 12.0, 11),
    WorkloadProfile("memory-heavy", "Memory-intensive (in-memory cache)", 140.0, 0.35, 2.0, 7),
)

PROFILES = {p.code: p for p in _PROFILES}
CHOICES = [(p.code, p.label) for p in _PROFILES]
DEFAULT = "web"


def get(code):
    try:
        return PROFILES[code]
    except KeyError:
        raise KeyError(
            f"unknown workload profile {code!r}; expected one of {', '.join(PROFILES)}"
        ) from None


def dirty_rate_bytes_s(code):
    return get(code).dirty_rate_mib_s * MIB


def writable_working_set_bytes(code, memory_bytes):
    return int(get(code).writable_working_set_fraction * memory_bytes)
