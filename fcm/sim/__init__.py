"""The physics of the simulated datacenter.

Rules of the house: the lowest layer. Pure Python: plain values in, plain
values (dataclasses) out. Nothing here imports Django (an import contract
checks it), touches the database or reads the clock, so every rule that
decides what happens and how long it takes is unit-tested in isolation.
"""
