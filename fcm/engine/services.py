"""Transitional: the console's old door to the engine, while its views move to fcm.engine.commands."""
from . import facts  # noqa: F401
from .commands.moves import cancel, cancel_validation, request_moves, request_storage_move  # noqa: F401
from .errors import MoveError  # noqa: F401
from .events import log_event  # noqa: F401
from .outbox import mark, mark_nodes, mark_role  # noqa: F401
from .planning import best_node_for, move_options  # noqa: F401
