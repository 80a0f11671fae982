"""Hyper-V Replica: cycle sizes, transfer times, missed cycles, health, resync and data loss.

The product (fcm.md section 12, numbers.md "Hyper-V Replica"): after the
initial copy, the primary sends the blocks its VHDs changed since the last
cycle, every replication frequency (5 min fixed on 2012; 30 s, 5 min or
15 min from 2012 R2). A cycle that cannot be sent before the next one is
due is missed and its changes stay pending; health turns Warning when more
than 20 % of the cycles in the monitoring window were missed or nothing
was sent for an hour, Critical when the primary cannot send at all or a
resynchronization is required (the change log passes 50 % of the VHD
size). An unplanned failover loses what changed since the last applied
cycle.

Delta size: a workload writes `write_rate` MiB/s, but rewrites of a block
already changed in the same cycle are sent once. With a writable working
set of W MiB, the unique changed data after t seconds is
W * (1 - exp(-rate * t / W)): it grows with the interval and the write
rate, and never passes the working set.
"""
import math
from dataclasses import dataclass

MIB = 1024 * 1024

#: Replication frequencies (seconds) the Enable Replication wizard offers, by version order.
FREQUENCIES_2012 = (300,)
FREQUENCIES_2012R2 = (30, 300, 900)
DEFAULT_FREQUENCY_S = 300
#: Additional hourly recovery points: up to 15 on 2012, 24 from 2012 R2.
MAX_RECOVERY_POINTS_2012 = 15
MAX_RECOVERY_POINTS_2012R2 = 24
KERBEROS_PORT = 80
CERTIFICATE_PORT = 443
#: Compression of replication traffic (on by default): VM blocks compress about 2:1 [PK].
COMPRESSION_RATIO = 2.0
#: HTTP(S) framing and TCP overhead on the replication link.
PROTOCOL_EFFICIENCY = 0.9
#: Health thresholds.
MISSED_WARNING_FRACTION = 0.20
NO_SYNC_WARNING_S = 3600
RESYNC_LOG_FRACTION = 0.5
#: The monitoring window the health report covers: 12 h from 09:00.
MONITORING_INTERVAL_S = 12 * 3600

NORMAL, WARNING, CRITICAL = "Normal", "Warning", "Critical"


def frequencies(version_order):
    return FREQUENCIES_2012 if version_order <= 3 else FREQUENCIES_2012R2


def max_recovery_points(version_order):
    return MAX_RECOVERY_POINTS_2012 if version_order <= 3 else MAX_RECOVERY_POINTS_2012R2


def frequency_label(seconds):
    return f"{seconds} seconds" if seconds < 60 else f"{seconds // 60} minute{'s' if seconds >= 120 else ''}"


def delta_mib(interval_s, write_rate_mib_s, working_set_mib):
    """Unique data changed in `interval_s` (MiB): grows with the interval and the rate, capped by the set."""
    if interval_s <= 0 or write_rate_mib_s <= 0 or working_set_mib <= 0:
        return 0.0
    return working_set_mib * (1 - math.exp(-write_rate_mib_s * interval_s / working_set_mib))


def link_mib_s(bandwidth_mbps, compression=True):
    """Payload rate over a link of `bandwidth_mbps` (what the VM data amounts to before compression)."""
    raw = bandwidth_mbps * 1e6 / 8 / MIB * PROTOCOL_EFFICIENCY
    return raw * (COMPRESSION_RATIO if compression else 1.0)


def transfer_s(size_mib, bandwidth_mbps, compression=True):
    if size_mib <= 0:
        return 0.0
    rate = link_mib_s(bandwidth_mbps, compression)
    return math.inf if rate <= 0 else size_mib / rate


def initial_replication_s(vhd_bytes, bandwidth_mbps, compression=True):
    """Sending the initial copy of the VHDs over the network."""
    return transfer_s(vhd_bytes / MIB, bandwidth_mbps, compression)


@dataclass(frozen=True)
class Cycle:
    sent_mib: float
    pending_mib: float
    #: Seconds the transfer took (or the whole interval when it could not finish).
    duration_s: float
    missed: bool


def cycle(pending_mib, delta, interval_s, bandwidth_mbps, compression=True, link_up=True):
    """One replication cycle: send what is pending plus this cycle's changes, within the interval.

    What does not fit before the next cycle is due stays pending and the
    cycle counts as missed; with the link down nothing is sent.
    """
    total = pending_mib + delta
    if not link_up or bandwidth_mbps <= 0:
        return Cycle(0.0, total, interval_s, True)
    capacity = link_mib_s(bandwidth_mbps, compression) * interval_s
    if total <= capacity:
        return Cycle(total, 0.0, transfer_s(total, bandwidth_mbps, compression), False)
    return Cycle(capacity, total - capacity, interval_s, True)


def resync_required(pending_mib, vhd_mib):
    """The change log passed half of the VHD size: only a resynchronization can catch up."""
    return vhd_mib > 0 and pending_mib > RESYNC_LOG_FRACTION * vhd_mib


@dataclass(frozen=True)
class Health:
    level: str
    reasons: tuple


def health(*, successful, missed, since_last_sync_s, initial_done=True, can_send=True, resync=False,
           paused=False, failed_over_not_reversed=False):
    """The Replication Health the product reports, with its reasons."""
    critical, warning = [], []
    if resync:
        critical.append("Resynchronization is required.")
    if not can_send:
        critical.append("The primary server cannot send replication data to the Replica server.")
    if paused:
        warning.append("Replication is paused.")
    if not initial_done:
        warning.append("Initial replication is not complete.")
    if failed_over_not_reversed:
        warning.append("The virtual machine failed over but replication was not reversed.")
    total = successful + missed
    if total and missed / total > MISSED_WARNING_FRACTION:
        warning.append(f"{missed} of {total} replication cycles were missed (more than 20%).")
    if initial_done and since_last_sync_s is not None and since_last_sync_s > NO_SYNC_WARNING_S:
        warning.append("No replication data was sent in the last hour.")
    if critical:
        return Health(CRITICAL, tuple(critical + warning))
    if warning:
        return Health(WARNING, tuple(warning))
    return Health(NORMAL, ())


def data_loss_s(failover_at, last_applied_at):
    """Seconds of changes an unplanned failover to the latest point loses."""
    if last_applied_at is None:
        return None
    return max((failover_at - last_applied_at).total_seconds(), 0.0)


def recovery_points_to_keep(points, additional, now_s):
    """Of `points` (sim seconds, oldest first), the latest plus one per hour for `additional` hours."""
    if not points:
        return []
    keep = {points[-1]}
    if additional:
        oldest = now_s - additional * 3600
        hourly = {}
        for p in points:
            if p >= oldest:
                hourly.setdefault(int(p // 3600), p)  # the first point in each hour
        keep |= set(sorted(hourly.values())[-additional:])
    return sorted(keep)
