"""One module per operation kind, each registering its handler (fcm/engine/registry.py).

Rules of the house: a kind module owns what its Operation does when it
starts, enters a phase, completes and finishes; it imports the core and the
shared effects, never another kind module (an import contract checks it).
`EngineConfig.ready()` imports this package, which imports every module.
"""
from . import (  # noqa: F401  (importing a module registers its kind)
    add_node, checkpoint, checkpoint_apply, checkpoint_merge, configure_quorum, configure_role, create_cluster,
    initial_replication, live_migration, move_storage, new_vm, node_failure, node_restart, planned_failover,
    quick_migration, storage_migration, validation, vm_move, vm_power, vm_storage_move,
)
