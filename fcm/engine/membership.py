"""Transitional: the console's old door to the engine, while its views move to fcm.engine.commands."""
from .commands.clusters import force_cluster_start  # noqa: F401
from .commands.faults import set_adapter, set_network  # noqa: F401
from .errors import MembershipError  # noqa: F401
