"""The embedded (one process) channel layer.

Channels' in-memory layer drops expired messages by scanning every channel
and group on every receive: a push to N open consoles then costs N x N
steps. Expiry is measured in tens of seconds, so scanning at most once a
second changes nothing a console can see and makes the fan-out linear.
"""
import time

from channels.layers import InMemoryChannelLayer as _Base


class InMemoryChannelLayer(_Base):
    clean_interval_s = 1.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._last_clean = 0.0

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._last_clean < self.clean_interval_s:
            return
        self._last_clean = now
        super()._clean_expired()
