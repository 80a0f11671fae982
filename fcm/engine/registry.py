"""Operation kinds as plug-ins: each `Operation.Kind` has exactly one handler.

A kind module (fcm/engine/kinds/) subclasses `OperationKind`, names its
`kind` and decorates the class with `@register`; the lifecycle asks the
registry for the handler and calls its hooks, so the core never branches on
a kind. `fcm.engine.kinds` imports every kind module when the app is ready
(`EngineConfig.ready`), the way the wizard registry is filled.
"""
from .models import Operation


class OperationKind:
    """What one kind of Operation does over its life; every hook has a do-nothing default."""

    #: The Operation.Kind this handler owns.
    kind = None

    #: Operations of the same group count against one per-host limit (see `host_limit`).
    limit_group = None

    def plan(self, op, sim_now):
        """A queued operation's plan, computed when it starts (raise an EngineError to fail it).
        Operations begun running already carry their plan."""
        return op.plan

    def host_limit(self, op):
        """{host id: how many operations of `limit_group` it may run at once} for the hosts `op` involves
        (its source and target), or None when `op` does not count."""
        return None

    def enter_phase(self, op, phase, sim_now):
        """The operation reached `phase` (a dict with a stable `key`; its `name` is only shown)."""

    def complete(self, op, sim_time):
        """The last phase ended: apply the result (the lifecycle then marks it Completed)."""

    def finished(self, op, state, sim_time):
        """The operation ended (Completed, Failed or Cancelled); `op.message` says why when it failed."""

    def cancellable(self, op, phase):
        """May a running operation be cancelled while in `phase`?"""
        return False

    def vm_status(self, op):
        """What Hyper-V Manager's Status column says of the VM while `op` runs ("Migrating"; the percent
        follows), or None when it says nothing."""
        return None


_handlers = {}


def register(cls):
    """Class decorator: one instance of `cls` handles `cls.kind`."""
    kind = Operation.Kind(cls.kind)
    if kind in _handlers:
        raise RuntimeError(f"{kind} already has a handler: {type(_handlers[kind]).__name__}")
    _handlers[kind] = cls()
    return cls


def handler(kind):
    return _handlers[kind]


def handlers():
    """{Operation.Kind: handler}, for the test that every kind has exactly one."""
    return dict(_handlers)


def limit_groups():
    """The per-host limit groups the registered kinds name."""
    return sorted({h.limit_group for h in _handlers.values() if h.limit_group is not None})


def kinds_in_group(group):
    """Kinds whose host limit shares `group` (live migrations count against one another)."""
    return [k for k, h in _handlers.items() if getattr(h, "limit_group", None) == group]
