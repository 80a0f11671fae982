"""Shared effects: what several operation kinds and commands do to the lab.

Below the kinds (a kind module imports effects, never another kind) and
above the core (they begin operations through `lifecycle.begin`, which finds
each kind's handler in the registry, so an effect never imports a kind).
"""
