"""Transitional: the console's old door to the engine, while its views move to fcm.engine.commands."""
from .commands.clusters import add_to_csv, destroy_cluster, enable_csv, evict_node, remove_from_csv  # noqa: F401
from .errors import StorageError  # noqa: F401
