"""A server's own administration: software update levels, its restarts, IPv4 settings and iSCSI targets.

Windows releases its monthly updates on the second Tuesday of the month
(Patch Tuesday), so on a given day the newest update level is that month's
once its second Tuesday has passed, else the previous month's. A restart
shuts Windows down (as long as a guest's shutdown: fcm.sim.vm_power),
configures what waited for it (each month of updates, each role or feature
installed), boots the host, and a cluster node then joins its cluster; the
boot and join figures are the engine's (a host's power-on boot, the Cluster
service's join) and are handed in.

Adapter settings follow the TCP/IPv4 Properties dialog: a dotted subnet
mask, an address on one of the networks the lab cables the server to
(neither its network address nor its broadcast), a default gateway on the
same subnet; an address another adapter or cluster holds is a conflict.
"""
import ipaddress
import re
from dataclasses import dataclass
from datetime import date, timedelta

from . import vm_power

#: Configuring one month of updates, before and after the reboot ("Configuring Windows updates").
UPDATE_MONTH_S = 40.0
#: Configuring one role or feature installed before the restart (Hyper-V: the hypervisor, its switch).
FEATURE_S = 30.0
#: A server that never installed updates is this many monthly rollups behind.
UNKNOWN_LEVEL_MONTHS = 12

_LEVEL = re.compile(r"^(\d{4})-(\d{2})$")

@dataclass(frozen=True)
class Feature:
    """A role or feature Server Manager installs: its name for Install-WindowsFeature, its label, whether
    it is a server role (Add Roles) or a feature (Add Features), and whether it waits for a restart."""

    name: str
    label: str
    role: bool
    restart: bool


#: Hyper-V needs a restart (the hypervisor starts under Windows at boot); Failover Clustering does not.
FEATURES = (Feature("Hyper-V", "Hyper-V", role=True, restart=True),
            Feature("Failover-Clustering", "Failover Clustering", role=False, restart=False))


def feature(name):
    return next((f for f in FEATURES if f.name == name), None)


def describe_pending(pending):
    """'joining contoso.com, Hyper-V, software updates': what waits for a server's restart
    (its pending changes: domain, features, updates)."""
    parts = []
    if "domain" in pending:
        parts.append(f"joining {pending['domain']}" if pending["domain"] else "joining a workgroup")
    parts += [feature(name).label if feature(name) else name for name in pending.get("features", ())]
    if pending.get("updates"):
        parts.append("software updates")
    return ", ".join(parts)


# Phase keys of a restart (the engine keys on the same words: fcm/engine/phases.py).
SHUT_DOWN, CONFIGURE_UPDATES, CONFIGURE_FEATURES, BOOT, JOIN_CLUSTER = (
    "shut-down", "configure-updates", "configure-features", "boot", "join-cluster")


def patch_tuesday(year, month):
    """The second Tuesday of the month: the day its updates are released."""
    first = date(year, month, 1)
    first_tuesday = first + timedelta(days=(1 - first.weekday()) % 7)
    return first_tuesday + timedelta(days=7)


def latest_update_level(day):
    """'YYYY-MM' of the newest monthly updates released on or before `day` (a date)."""
    if day >= patch_tuesday(day.year, day.month):
        return f"{day.year:04d}-{day.month:02d}"
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _months(level):
    m = _LEVEL.match(level or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def months_behind(level, latest):
    """How many monthly updates a server at `level` lacks to reach `latest` (0 when it is level or ahead;
    UNKNOWN_LEVEL_MONTHS when it never installed any)."""
    have, want = _months(level), _months(latest)
    if want is None:
        raise ValueError(f"{latest!r} is not an update level such as 2014-04")
    if have is None:
        return UNKNOWN_LEVEL_MONTHS
    return max(want - have, 0)


def restart_steps(boot_s, install_option="Full", update_months=0, features=0, join_s=None):
    """(key, name, seconds) of a server's restart, in order. `join_s`: a cluster node's join (None: no cluster)."""
    if boot_s <= 0:
        raise ValueError("a boot takes time")
    steps = [(SHUT_DOWN, "Shutting down", vm_power.shutdown_seconds(install_option))]
    if update_months > 0:
        steps.append((CONFIGURE_UPDATES, "Configuring Windows updates", UPDATE_MONTH_S * update_months))
    if features > 0:
        steps.append((CONFIGURE_FEATURES, "Configuring roles and features", FEATURE_S * features))
    steps.append((BOOT, "Booting the host", boot_s))
    if join_s is not None:
        steps.append((JOIN_CLUSTER, "Joining the cluster", join_s))
    return steps


# -- IPv4 settings ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ipv4Problem:
    """Why an adapter cannot take these settings, and which field of the dialog it is about."""

    field: str
    message: str


def prefix_of_mask(mask):
    """The prefix length of a dotted subnet mask (255.255.255.0 -> 24); None when it is no mask."""
    try:
        return ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen if mask and "." in mask else None
    except ValueError:
        return None


def mask_of_prefix(prefix):
    return str(ipaddress.IPv4Network(f"0.0.0.0/{prefix}").netmask)


def ipv4_problem(ip, mask, gateway, networks, taken):
    """The first problem with static settings, or None.

    `networks`: the lab's subnets ("172.17.0.0/24"...); `taken`: {address: who holds it} of the other
    adapters and clusters. Returns None, or an Ipv4Problem naming the field (ip, mask, gateway)."""
    try:
        address = ipaddress.IPv4Address(ip)
    except ValueError:
        return Ipv4Problem("ip", f"'{ip}' is not a valid IPv4 address: type four numbers from 0 to 255 "
                                 "separated by dots, such as 172.16.0.20.")
    prefix = prefix_of_mask(mask)
    if prefix is None or prefix == 0:
        return Ipv4Problem("mask", f"'{mask}' is not a valid subnet mask, such as 255.255.255.0.")
    subnet = ipaddress.IPv4Interface(f"{ip}/{prefix}").network
    if address.is_loopback or address.is_multicast or address.is_unspecified or address.is_link_local:
        return Ipv4Problem("ip", f"{ip} cannot be assigned to a network adapter.")
    known = [ipaddress.IPv4Network(n) for n in networks]
    home = next((n for n in known if address in n), None)
    if home is None:
        return Ipv4Problem("ip", f"{ip} is on none of the networks this server is cabled to ("
                                 f"{', '.join(str(n) for n in known) or 'none'}).")
    if home.prefixlen != prefix:
        return Ipv4Problem("mask", f"The subnet mask {mask} does not match the network {home} "
                                   f"(its mask is {home.netmask}).")
    if home.prefixlen < 31 and address in (subnet.network_address, subnet.broadcast_address):
        which = "network" if address == subnet.network_address else "broadcast"
        return Ipv4Problem("ip", f"{ip} is the {which} address of {subnet}; choose an address inside it.")
    if ip in taken:
        return Ipv4Problem("ip", f"{ip} is already in use on the network by {taken[ip]}: an address conflict. "
                                 "Choose a free address.")
    if gateway:
        try:
            gw = ipaddress.IPv4Address(gateway)
        except ValueError:
            return Ipv4Problem("gateway", f"'{gateway}' is not a valid IPv4 address.")
        if gw not in subnet:
            return Ipv4Problem("gateway", f"The default gateway {gateway} is not on the subnet {subnet} of {ip}.")
        if gw == address:
            return Ipv4Problem("gateway", "The default gateway cannot be the adapter's own address.")
    return None


# -- iSCSI targets -----------------------------------------------------------------------------------

def target_iqn(lun_name):
    """The iSCSI qualified name the SAN gives the target of a LUN (one target per LUN)."""
    slug = re.sub(r"[^a-z0-9]+", "-", lun_name.lower()).strip("-") or "lun"
    return f"iqn.1991-05.com.microsoft:san-{slug}-target"


def portal_address(target):
    """The portal's IPv4 address in a target such as '172.18.0.1:3260' (None when there is none)."""
    host = (target or "").rsplit(":", 1)[0] if ":" in (target or "") else (target or "")
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        return None
