"""Transitional: the console's old door to the engine, while its views move to fcm.engine.commands."""
from .commands.roles import remove_role, set_resource_state, start_configure_role  # noqa: F401
from .effects.power import POWER_LABELS, SAVE, SHUTDOWN, START, TURN_OFF, request_power  # noqa: F401
from .effects.roles import ha_problems, make_highly_available  # noqa: F401
from .errors import RoleError  # noqa: F401
