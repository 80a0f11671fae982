"""How a state looks on screen: the icon next to it and that icon's colour.

A state enum names each member's look after its value and label::

    class State(PresentedTextChoices):
        UP = "Up", "Up", looks.UP
        DOWN = "Down", "Down", looks.DOWN

and then every member knows it: ``Node.State.UP.icon == "up"``,
``Node.State.UP.colour == Colour.GREEN``. A model field holds the bare
value; ``Node.State.coerce(node.state)`` gives its member (None when blank
or unknown).
"""
from enum import property as enum_property
from typing import NamedTuple

from django.db import models
from django.db.models.enums import ChoicesType


class Colour(models.TextChoices):
    """The colour an icon of static/fcm/icons.svg is drawn in."""

    GREEN = "green", "Green"
    RED = "red", "Red"
    DARK_RED = "dark-red", "Dark red"
    AMBER = "amber", "Amber"
    YELLOW = "yellow", "Yellow"
    BLUE = "blue", "Blue"
    GREY = "grey", "Grey"


class Look(NamedTuple):
    #: The symbol id in static/fcm/icons.svg; empty: the product shows the state without an icon.
    icon: str
    colour: Colour


UP = Look("up", Colour.GREEN)
DOWN = Look("down", Colour.RED)
FAILED = Look("failed", Colour.RED)
CRITICAL = Look("critical", Colour.DARK_RED)
WARNING = Look("warning", Colour.YELLOW)
PAUSED = Look("paused", Colour.AMBER)
PENDING = Look("pending", Colour.BLUE)
INFO = Look("info", Colour.BLUE)
OFF = Look("off", Colour.GREY)
#: Words only (a test not run yet, a step still to come).
BARE = Look("", Colour.GREY)


class PresentedChoicesType(ChoicesType):
    """Takes each member's trailing Look off before Django reads its value and label."""

    def __new__(metacls, classname, bases, classdict, **kwds):
        looks = {}
        for key in classdict._member_names:
            value = classdict[key]
            if isinstance(value, tuple) and value and isinstance(value[-1], Look):
                looks[key] = value[-1]
                # As Django does: plain dict assignment passes the enum's double-assignment guard.
                dict.__setitem__(classdict, key, value[:-1])
            else:
                raise TypeError(f"{classname}.{key} needs a Look after its value and label.")
        cls = super().__new__(metacls, classname, bases, classdict, **kwds)
        for member in cls:
            member._look_ = looks[member.name]
        return cls


class Presented:
    """What a member of a presented enum offers besides its value and label."""

    @enum_property
    def look(self):
        return self._look_

    @enum_property
    def icon(self):
        return self._look_.icon

    @enum_property
    def colour(self):
        return self._look_.colour

    @classmethod
    def coerce(cls, value):
        """The member for a field's value (or a member); None for a blank or unknown one."""
        try:
            return cls(value)
        except ValueError:
            return None


class PresentedTextChoices(Presented, models.TextChoices, metaclass=PresentedChoicesType):
    pass


class PresentedIntegerChoices(Presented, models.IntegerChoices, metaclass=PresentedChoicesType):
    pass
