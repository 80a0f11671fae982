"""How long a move takes, phase by phase: live, quick and storage migration.

Live migration is iterative pre-copy, the model of Clark et al., "Live
Migration of Virtual Machines" (NSDI 2005) and Akoush et al., "Predicting
the Performance of Virtual Machine Migration" (MASCOTS 2010), which Hyper-V
follows (the 2008 R2 walkthrough and the 2012 article among the seeds):

- round 0 sends all memory M at bandwidth B: t0 = M / B;
- round i sends what the guest dirtied meanwhile, at dirty rate D, never
  more than its writable working set W: V_i = min(D * t_(i-1), W);
- pre-copy stops when the remainder would fit the downtime target, when a
  round no longer shrinks (D >= B: it will not converge), or at the round
  limit (Hyper-V 2008 R2: 10 passes; 2012 R2 and later: 5);
- then stop-and-copy: the VM pauses, the remainder and the device state
  are sent, the VM resumes on the target (downtime), and the network learns
  its new place (ARP / reverse ARP).

Quick migration (2008) saves memory to shared storage, moves the disk to the
target and restores it there: the outage is the whole move. Storage
migration (2012+) copies the VHDs while the VM runs, mirrors the writes
made meanwhile in one more pass, then switches: no downtime.

Outside a cluster (2012+, seed 004): an SMB live migration is a live
migration whose files stay on a file share both hosts may use, so only the
open file handles change hands in the blackout; a shared-nothing live
migration is a storage migration to the destination host's own storage
followed, while every write is still mirrored to both copies, by a live
migration of memory: the mirrored writes share the link with the memory
rounds, and the VM runs on the destination with its own copy.

Everything is in MiB and seconds; the engine turns offsets into sim times.
"""
from dataclasses import dataclass

#: Setup: TCP connection, configuration transfer, skeleton VM on the target.
#: numbers.md puts the fixed cost of a live migration at 2.5-3.5 s in all.
DEFAULT_SETUP_S = 2.0
#: Device and processor state sent during the blackout.
DEFAULT_STATE_TRANSFER_S = 0.02
#: Resume on the target once the last pages are there.
DEFAULT_RESUME_S = 0.08
#: Gratuitous/reverse ARP so switches learn the VM's new port.
DEFAULT_NETWORK_SWITCH_S = 0.05
#: Tear-down of the source VM after the switch.
DEFAULT_CLEANUP_S = 0.6
#: Hyper-V publishes no byte threshold for "small enough"; QEMU's default
#: downtime limit (300 ms) is the reasonable default numbers.md suggests.
DEFAULT_MAX_DOWNTIME_S = 0.3
#: Passes before Hyper-V suspends the VM regardless (2012 R2 and later).
DEFAULT_MAX_ROUNDS = 5
#: Moving the disk's reservation and mounting it on the target (numbers.md).
DEFAULT_DISK_MOVE_S = 3.0
#: Taking a group offline on the source / bringing it online on the target.
DEFAULT_GROUP_OFFLINE_S = 1.0
DEFAULT_GROUP_ONLINE_S = 1.5
#: Storage migration switch-over (configuration re-pointed, source deleted).
DEFAULT_STORAGE_SWITCH_S = 1.0
#: SMB live migration: the source closes its handles on the share's files and the destination opens
#: them, inside the blackout (seed 004, step 4). No figure is published; a round trip or two per file.
DEFAULT_SMB_HANDLE_TRANSFER_S = 0.03


def max_rounds_for(version_order):
    """Hyper-V 2008 R2 makes at most 10 passes; 2012 R2 and later 5."""
    return 10 if version_order <= 3 else 5


@dataclass(frozen=True)
class Round:
    index: int
    sent_mib: float
    seconds: float
    #: Memory the guest dirtied while this round was on the wire.
    dirtied_mib: float


@dataclass(frozen=True)
class Phase:
    name: str
    start_s: float
    end_s: float
    #: The product's MigrationState during the phase (1 Setup, 2 Data
    #: Transfer, 3 Move) or a VM state for quick/storage moves.
    state: str = ""
    detail: str = ""
    #: What the engine acts on (stable); `name` is only shown and may be reworded.
    key: str = ""

    @property
    def seconds(self):
        return self.end_s - self.start_s


@dataclass(frozen=True)
class _Plan:
    phases: tuple
    total_s: float
    downtime_s: float

    def phase_at(self, elapsed_s):
        """The phase running `elapsed_s` seconds after the move started."""
        for phase in self.phases:
            if elapsed_s < phase.end_s:
                return phase
        return self.phases[-1]

    def phase_named(self, name):
        return next(p for p in self.phases if p.name == name)


@dataclass(frozen=True)
class LiveMigrationPlan(_Plan):
    rounds: tuple = ()
    converged: bool = True
    #: Why pre-copy stopped: "fits", "not-shrinking" or "round-limit".
    stop_reason: str = "fits"
    memory_mib: float = 0.0
    bandwidth_mib_s: float = 0.0
    remainder_mib: float = 0.0
    #: The guest dirties memory at least as fast as the link carries it.
    diverging: bool = False

    @property
    def transferred_mib(self):
        return sum(r.sent_mib for r in self.rounds) + self.remainder_mib

    def progress(self, elapsed_s):
        """Percent completed as the console shows it: memory on the wire so far
        over all memory the move sends (0 during setup, 100 once resumed)."""
        if elapsed_s <= 0:
            return 0
        total = self.transferred_mib
        done = 0.0
        for phase, r in zip(self.phases[1:], self.rounds):
            if elapsed_s >= phase.end_s:
                done += r.sent_mib
            elif elapsed_s > phase.start_s:
                done += r.sent_mib * (elapsed_s - phase.start_s) / max(phase.seconds, 1e-9)
        blackout = self.phase_named("Stop-and-copy")
        if elapsed_s >= blackout.end_s:
            return 100
        if elapsed_s > blackout.start_s:
            done += self.remainder_mib * (elapsed_s - blackout.start_s) / max(blackout.seconds, 1e-9)
        return max(0, min(99, int(100 * done / total)))


def plan_live_migration(memory_mib, bandwidth_mib_s, dirty_rate_mib_s,
                        writable_working_set_mib=None, max_rounds=DEFAULT_MAX_ROUNDS,
                        max_downtime_s=DEFAULT_MAX_DOWNTIME_S, setup_s=DEFAULT_SETUP_S,
                        resume_s=DEFAULT_RESUME_S, state_transfer_s=DEFAULT_STATE_TRANSFER_S,
                        network_switch_s=DEFAULT_NETWORK_SWITCH_S, cleanup_s=DEFAULT_CLEANUP_S,
                        stop_when_not_shrinking=False):
    """Iterative pre-copy of `memory_mib` at `bandwidth_mib_s` (see module doc).

    Hyper-V's own policy is "the remainder fits, or N passes made"
    (numbers.md); `stop_when_not_shrinking` adds the Xen/QEMU rule of
    stopping as soon as a round sends no less than the one before. It is
    off by default: with it, a link a little faster than the dirty rate
    keeps making (slowly shrinking) rounds while a slower one gives up
    early, so more bandwidth could make a move longer. Either way a
    workload that dirties memory as fast as the link carries it is
    reported as not converging (`converged` False, `diverging` True).
    """
    if memory_mib <= 0 or bandwidth_mib_s <= 0:
        raise ValueError("memory and bandwidth must be positive")
    if dirty_rate_mib_s < 0 or max_rounds < 1:
        raise ValueError("the dirty rate cannot be negative and at least one round is made")
    hot_set = memory_mib if writable_working_set_mib is None else min(writable_working_set_mib, memory_mib)
    rounds, phases = [], [Phase("Setup", 0.0, setup_s, "Setup",
                                "Connection, configuration transfer, VM created on the target", "setup")]
    t = setup_s
    to_send = float(memory_mib)
    stop_reason = "round-limit"
    remainder = to_send
    for i in range(max_rounds):
        seconds = to_send / bandwidth_mib_s
        dirtied = min(dirty_rate_mib_s * seconds, hot_set)
        rounds.append(Round(i, to_send, seconds, dirtied))
        name = "Memory transfer, round 1 (all memory)" if i == 0 else f"Memory transfer, round {i + 1}"
        phases.append(Phase(name, t, t + seconds, "Data Transfer",
                            f"{to_send:.0f} MiB sent, {dirtied:.0f} MiB dirtied meanwhile", "memory-round"))
        t += seconds
        remainder = dirtied
        if remainder / bandwidth_mib_s <= max_downtime_s:
            stop_reason = "fits"
            break
        if stop_when_not_shrinking and remainder >= to_send:
            stop_reason = "not-shrinking"
            break
        to_send = remainder
    converged = stop_reason == "fits"
    blackout = remainder / bandwidth_mib_s + state_transfer_s
    phases.append(Phase("Stop-and-copy", t, t + blackout, "Move",
                        f"VM paused; last {remainder:.0f} MiB and device state sent", "stop-and-copy"))
    t += blackout
    phases.append(Phase("Resume on the target", t, t + resume_s, "Move", "VM runs on the target", "resume-on-target"))
    t += resume_s
    phases.append(Phase("Network switch (ARP)", t, t + network_switch_s, "Move",
                        "Switches learn the VM's new port", "network-switch"))
    t += network_switch_s
    phases.append(Phase("Clean-up", t, t + cleanup_s, "Move", "Source VM removed", "clean-up"))
    t += cleanup_s
    return LiveMigrationPlan(
        phases=tuple(phases), total_s=t, downtime_s=blackout + resume_s, rounds=tuple(rounds),
        converged=converged, stop_reason=stop_reason, memory_mib=float(memory_mib),
        diverging=dirty_rate_mib_s >= bandwidth_mib_s and stop_reason != "fits",
        bandwidth_mib_s=float(bandwidth_mib_s), remainder_mib=remainder)


@dataclass(frozen=True)
class QuickMigrationPlan(_Plan):
    memory_mib: float = 0.0
    storage_mib_s: float = 0.0


def plan_quick_migration(memory_mib, storage_mib_s, disk_move_s=DEFAULT_DISK_MOVE_S,
                         offline_s=DEFAULT_GROUP_OFFLINE_S, online_s=DEFAULT_GROUP_ONLINE_S):
    """Save to shared storage, move the disk, restore. A VM that is not
    running (memory_mib 0) only has its group moved."""
    if storage_mib_s <= 0 or memory_mib < 0:
        raise ValueError("storage throughput must be positive and memory not negative")
    phases, t = [], 0.0
    save = memory_mib / storage_mib_s
    if memory_mib:
        phases.append(Phase("Save state", t, t + save, "Saving",
                            f"{memory_mib:.0f} MiB written to shared storage", "save-state"))
        t += save
    phases.append(Phase("Take offline", t, t + offline_s, "Saved", "Role offline on the source", "take-offline"))
    t += offline_s
    phases.append(Phase("Move disk ownership", t, t + disk_move_s, "Saved",
                        "Disk reservation moves to the target and mounts there", "move-disk"))
    t += disk_move_s
    phases.append(Phase("Bring online", t, t + online_s, "Starting", "Role online on the target", "bring-online"))
    t += online_s
    if memory_mib:
        phases.append(Phase("Restore state", t, t + save, "Starting",
                            f"{memory_mib:.0f} MiB read back from shared storage", "restore-state"))
        t += save
    return QuickMigrationPlan(phases=tuple(phases), total_s=t, downtime_s=t,
                              memory_mib=float(memory_mib), storage_mib_s=float(storage_mib_s))


@dataclass(frozen=True)
class StorageMigrationPlan(_Plan):
    vhd_mib: float = 0.0
    copy_mib_s: float = 0.0
    mirrored_mib: float = 0.0


def plan_storage_migration(vhd_mib, copy_mib_s, write_rate_mib_s, switch_s=DEFAULT_STORAGE_SWITCH_S):
    """Copy the VHDs, one mirrored pass of what was written meanwhile, switch."""
    if copy_mib_s <= 0 or vhd_mib < 0 or write_rate_mib_s < 0:
        raise ValueError("copy throughput must be positive, sizes and rates not negative")
    copy = vhd_mib / copy_mib_s
    changed = min(write_rate_mib_s * copy, vhd_mib)
    mirror = changed / copy_mib_s
    phases = (
        Phase("Initial copy", 0.0, copy, "Running", f"{vhd_mib:.0f} MiB copied while the VM runs", "initial-copy"),
        Phase("Mirror pass", copy, copy + mirror, "Running",
              f"{changed:.0f} MiB written during the copy; new writes go to both sides", "mirror-pass"),
        Phase("Switch to the destination", copy + mirror, copy + mirror + switch_s, "Running",
              "VM uses the new files; the source files are deleted", "switch-storage"),
    )
    return StorageMigrationPlan(phases=phases, total_s=copy + mirror + switch_s, downtime_s=0.0,
                                vhd_mib=float(vhd_mib), copy_mib_s=float(copy_mib_s),
                                mirrored_mib=changed)


@dataclass(frozen=True)
class SharedNothingPlan(_Plan):
    """Storage first (copy, then one pass of what changed), then memory while writes are mirrored."""

    storage: StorageMigrationPlan = None
    live: LiveMigrationPlan = None
    #: When the memory transfer starts (the storage copy and its pass are done).
    memory_start_s: float = 0.0
    #: Of the link during the memory rounds, what the mirrored writes take.
    mirrored_write_mib_s: float = 0.0

    @property
    def converged(self):
        return self.live.converged

    def progress(self, elapsed_s):
        """Percent as Hyper-V Manager's Status column shows it: bytes of storage and memory on the wire
        so far over both (the storage copy is usually most of it)."""
        storage_mib = self.storage.vhd_mib + self.storage.mirrored_mib
        memory_mib = self.live.transferred_mib if self.downtime_s else 0.0
        resumed = memory_mib and self.live.progress(elapsed_s - self.memory_start_s) == 100
        if resumed or elapsed_s >= self.total_s - 1e-9:
            return 100
        done = 0.0
        for phase in self.storage.phases[:2]:
            start, end = phase.start_s + self.live_setup_s, phase.end_s + self.live_setup_s
            part = self.storage.vhd_mib if phase.key == "initial-copy" else self.storage.mirrored_mib
            if elapsed_s >= end:
                done += part
            elif elapsed_s > start:
                done += part * (elapsed_s - start) / max(end - start, 1e-9)
        if memory_mib and elapsed_s > self.memory_start_s:
            done += memory_mib * self.live.progress(elapsed_s - self.memory_start_s) / 100
        return max(0, min(99, int(100 * done / max(storage_mib + memory_mib, 1e-9))))

    @property
    def live_setup_s(self):
        return self.phases[0].end_s


def plan_shared_nothing_migration(vhd_mib, copy_mib_s, write_rate_mib_s, memory_mib, bandwidth_mib_s,
                                  dirty_rate_mib_s, writable_working_set_mib=None, max_rounds=DEFAULT_MAX_ROUNDS,
                                  max_downtime_s=DEFAULT_MAX_DOWNTIME_S, setup_s=DEFAULT_SETUP_S,
                                  switch_s=DEFAULT_STORAGE_SWITCH_S):
    """A running VM moved with its storage to a host it shares nothing with but the network (seed 004).

    `copy_mib_s` is what the storage copy gets: the slowest of the source's reads, the link and the
    destination's writes (the caller picks it). `bandwidth_mib_s` is the memory transfer's share of the
    link (the host's performance option applied); the guest's writes, mirrored to the destination all
    through the memory rounds, take `write_rate_mib_s` of it. A VM that is off moves only its files
    (memory_mib 0): the storage copy with nothing to mirror, then the configuration.
    """
    if memory_mib < 0:
        raise ValueError("memory cannot be negative")
    running = memory_mib > 0
    storage = plan_storage_migration(vhd_mib, copy_mib_s, write_rate_mib_s if running else 0.0, switch_s=0.0)
    phases = [Phase("Setup", 0.0, setup_s, "Setup",
                    "Connection, configuration transfer, VM created on the destination", "setup")]
    t = setup_s
    for phase in storage.phases[:2]:
        if phase.seconds or phase.key == "initial-copy":
            phases.append(Phase(phase.name, t + phase.start_s, t + phase.end_s, "Data Transfer", phase.detail,
                                phase.key))
    t += storage.phases[1].end_s
    memory_start = t
    if not running:
        live = plan_live_migration(1, bandwidth_mib_s, 0, setup_s=0.0, max_rounds=1)
        phases.append(Phase("Switch to the destination", t, t + switch_s, "Move",
                            "The destination registers the VM and its files; the source files are deleted",
                            "switch-storage"))
        t += switch_s
        return SharedNothingPlan(phases=tuple(phases), total_s=t, downtime_s=0.0, storage=storage, live=live,
                                 memory_start_s=memory_start)
    mirrored = min(write_rate_mib_s, bandwidth_mib_s * 0.9)
    live = plan_live_migration(memory_mib, bandwidth_mib_s - mirrored, dirty_rate_mib_s,
                               writable_working_set_mib=writable_working_set_mib, max_rounds=max_rounds,
                               max_downtime_s=max_downtime_s, setup_s=0.0, cleanup_s=0.0)
    for phase in live.phases[1:-1]:  # its own setup and clean-up are the move's
        phases.append(Phase(phase.name, t + phase.start_s, t + phase.end_s, phase.state, phase.detail, phase.key))
    t += live.total_s
    phases.append(Phase("Clean-up", t, t + switch_s, "Move", "Source VM and its files deleted", "clean-up"))
    t += switch_s
    return SharedNothingPlan(phases=tuple(phases), total_s=t, downtime_s=live.downtime_s, storage=storage,
                             live=live, memory_start_s=memory_start, mirrored_write_mib_s=mirrored)


def plan_smb_live_migration(memory_mib, bandwidth_mib_s, dirty_rate_mib_s, files=2,
                            handle_transfer_s=DEFAULT_SMB_HANDLE_TRANSFER_S, **options):
    """A live migration between hosts in no cluster whose VM's files stay on one SMB 3.0 share.

    As a cluster's live migration (seed 004, steps 1-3, 5, 6), with the handles on the share's `files`
    (configuration and VHDs) handed over while the VM is paused (step 4): the blackout grows by that."""
    if files < 1:
        raise ValueError("a VM has at least its configuration file")
    state = options.pop("state_transfer_s", DEFAULT_STATE_TRANSFER_S) + handle_transfer_s * files
    plan = plan_live_migration(memory_mib, bandwidth_mib_s, dirty_rate_mib_s, state_transfer_s=state, **options)
    phases = tuple(Phase(p.name, p.start_s, p.end_s, p.state,
                         p.detail + f"; handles on the share's {files} files handed over", p.key)
                   if p.key == "stop-and-copy" else p for p in plan.phases)
    return LiveMigrationPlan(**{**plan.__dict__, "phases": phases})


@dataclass(frozen=True)
class RegistrationPlan(_Plan):
    """A VM that is off or saved, its files on a share both hosts use: nothing but its configuration moves."""

    def progress(self, elapsed_s):
        return max(0, min(99, int(100 * elapsed_s / max(self.total_s, 1e-9))))


def plan_registration_move(setup_s=DEFAULT_SETUP_S, switch_s=DEFAULT_STORAGE_SWITCH_S):
    """Move only the virtual machine, for a VM that is off or saved on an SMB share: the destination is told
    of it and registers its configuration (and saved state) where they are; nothing is copied."""
    phases = (Phase("Setup", 0.0, setup_s, "Setup", "Connection, configuration transfer", "setup"),
              Phase("Switch to the destination", setup_s, setup_s + switch_s, "Move",
                    "The destination registers the VM; its files stay on the share", "switch-storage"))
    return RegistrationPlan(phases=phases, total_s=setup_s + switch_s, downtime_s=0.0)


# -- bandwidth ---------------------------------------------------------------

PERFORMANCE_TCPIP = "TCP/IP"
PERFORMANCE_COMPRESSION = "Compression"
PERFORMANCE_SMB = "SMB"
PERFORMANCE_CHOICES = [(p, p) for p in (PERFORMANCE_TCPIP, PERFORMANCE_COMPRESSION, PERFORMANCE_SMB)]

#: TCP/IP payload efficiency on a 1 GbE link (about 113 MiB/s: numbers.md).
TCP_EFFICIENCY = 0.95
#: 2008 R2 reached at most 70 % of a 10 GbE link.
TCP_EFFICIENCY_10G_2008R2 = 0.70
#: One TCP/IP migration stream on 10 GbE, 2012 and later.
TCP_STREAM_CAP_MIB_S = 320.0
#: Compression trades idle host CPU for 2-4x effective rate; the middle.
COMPRESSION_FACTOR = 2.5
#: SMB (Multichannel/Direct) runs close to line rate.
SMB_EFFICIENCY = 0.97


def line_rate_mib_s(link_mbps):
    return link_mbps * 1_000_000 / 8 / (1024 * 1024)


def default_performance_option(version_order):
    """Compression is the default from 2012 R2; TCP/IP before."""
    return PERFORMANCE_COMPRESSION if version_order >= 4 else PERFORMANCE_TCPIP


def effective_bandwidth_mib_s(link_mbps, option=PERFORMANCE_TCPIP, version_order=2, streams=1):
    """What one live migration gets on a link shared by `streams` migrations."""
    if link_mbps <= 0 or streams < 1:
        raise ValueError("link speed and streams must be positive")
    line = line_rate_mib_s(link_mbps)
    if option == PERFORMANCE_SMB and version_order >= 4:
        per_link, stream_cap = line * SMB_EFFICIENCY, line * SMB_EFFICIENCY
    else:
        efficiency = TCP_EFFICIENCY_10G_2008R2 if (link_mbps >= 10_000 and version_order <= 2) else TCP_EFFICIENCY
        per_link = line * efficiency
        stream_cap = TCP_STREAM_CAP_MIB_S if (link_mbps >= 10_000 and version_order >= 3) else per_link
    share = min(stream_cap, per_link / streams)
    if option == PERFORMANCE_COMPRESSION and version_order >= 4:
        share *= COMPRESSION_FACTOR
    return share


# -- wording -------------------------------------------------------------------

def describe_seconds(seconds):
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s"


def summary(plan):
    """'about 41 s, downtime about 120 ms' / 'about 41 s; will not converge: downtime about 3.5 s' /
    'about 6 min 40 s, no downtime'."""
    total = f"about {describe_seconds(plan.total_s)}"
    if not plan.downtime_s:
        return f"{total}, no downtime"
    down = f"{plan.downtime_s:.1f} s" if plan.downtime_s >= 1 else describe_seconds(plan.downtime_s)
    if not getattr(plan, "converged", True):
        return f"{total}; will not converge: downtime about {down}"
    return f"{total}, downtime about {describe_seconds(plan.downtime_s)}"
