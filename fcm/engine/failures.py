"""Transitional: the console's old door to the engine, while its views move to fcm.engine.commands."""
from .commands.faults import crash_node, guest_crash, restart_node  # noqa: F401
from .commands.nodes import pause_node, resume_node, start_cluster_service, stop_cluster_service  # noqa: F401
from .errors import FailureError  # noqa: F401
