"""Transitional: the console's old door to the engine, while its views move to fcm.engine.commands."""
from .commands.faults import set_wan_link  # noqa: F401
from .commands.replication import (  # noqa: F401
    cancel_failover, failover, import_initial_replica, planned_failover, remove, reset_statistics, resynchronize,
    reverse_replication, set_paused, stop_test_failover, test_failover,
)
from .effects.replication import health, planned_failover_checks  # noqa: F401
from .errors import ReplicationError  # noqa: F401
