"""Transitional: the console's old door to the engine, while its views move to fcm.engine.commands."""
from .commands.faults import set_disk, set_storage_paths  # noqa: F401
from .errors import StorageFaultError  # noqa: F401
from .facts import csv_access  # noqa: F401
