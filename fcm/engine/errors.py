"""The one base for refusals the product explains.

Every engine command that refuses raises an `EngineError` (or a subclass
named for its room: moves, storage, membership...) whose message is the
product's own sentence, shown where the user acted. Views, wizards,
training and the shell catch this one class; anything else is a bug.
"""


class EngineError(Exception):
    """A change the product refuses; the message says why, in its words."""
