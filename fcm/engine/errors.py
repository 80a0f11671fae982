"""The one base for refusals the product explains.

Every engine command that refuses raises an `EngineError` (or a subclass
named for its room: moves, storage, membership...) whose message is the
product's own sentence, shown where the user acted. Views, wizards,
training and the shell catch this one class; anything else is a bug.
"""


class EngineError(Exception):
    """A change the product refuses; the message says why, in its words."""


class MoveError(EngineError):
    """A live, quick or storage migration the product refuses."""


class PlanError(EngineError):
    """A move that cannot be planned (no network joins the nodes...)."""


class StorageError(EngineError):
    """A change of cluster storage or membership the product refuses (CSV, evict, destroy)."""


class StorageFaultError(EngineError):
    """A simulated disk or path fault that does not apply."""


class FailureError(EngineError):
    """A node action (pause, resume, crash, power on, service) that does not apply now."""


class MembershipError(EngineError):
    """A network fault or quorum action that does not apply now."""


class RoleError(EngineError):
    """A clustered role change (high availability, power, resources) the product refuses."""


class VmError(EngineError):
    """A virtual machine that cannot be created where asked."""


class ReplicationError(EngineError):
    """A Hyper-V Replica action the product refuses."""


class PropertyError(EngineError):
    """A property value the product refuses; the message says why, `field` which value it is about."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class DiskError(StorageError):
    """A cluster disk change the product refuses (Add Disk, moves, online/offline, drive letter); `field`
    names the dialog's field it is about."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class NetworkError(EngineError):
    """A cluster network's Properties the product refuses; `field` names the value it is about."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class ServerError(EngineError):
    """A server's administration the product refuses (domain, roles and features, adapters, iSCSI,
    updates, restarts, Hyper-V Manager's actions); `field` names the dialog's field it is about."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class SimulatorLimitError(EngineError):
    """A request beyond what the simulator itself allows (not a limit of the product it simulates):
    the message names it as the simulator's own, so a trainee does not learn it as Windows behaviour."""


class ValidationRunningError(EngineError):
    """Validate a Configuration while a run over the same cluster or servers has not finished."""
