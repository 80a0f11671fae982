"""Channel-layer group names: one group per lab (its consoles listen), one per user (every socket of theirs).

The user's group is how a change of access reaches sockets that are already open: signing out, a
lab's members changed, a training session ended (fcm/live/revoke.py). It carries no fragments.
"""

#: Consumers of this process, by lab (or by a dashboard's group name): the embedded engine (same
#: process, same event loop) hands them fragments directly (see fcm.live.push); the watchdog closes
#: them when the channel layer comes back (fcm.live.watchdog); the expiry sweep closes those whose
#: sign-in session has run out (fcm.live.expiry).
LOCAL = {}


def lab_group(lab_id):
    return f"lab.{int(lab_id)}"


def user_group(user_id):
    return f"user.{int(user_id)}"


def local_consumers():
    """Every socket this process serves (a snapshot: the sets change while a caller awaits)."""
    return [c for group in list(LOCAL.values()) for c in list(group)]
