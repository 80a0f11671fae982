"""Channel-layer group names: one group per lab, every console of it listens."""

#: Consumers of this process, by lab (or by a dashboard's group name): the embedded engine (same
#: process, same event loop) hands them fragments directly (see fcm.live.push); the watchdog closes
#: them when the channel layer comes back (fcm.live.watchdog).
LOCAL = {}


def lab_group(lab_id):
    return f"lab.{int(lab_id)}"
