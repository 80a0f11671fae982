"""The physics of the simulated datacenter.

Pure Python: plain values in, plain values (dataclasses) out. Nothing here
imports Django, touches the database or reads the clock, so every rule that
decides what happens and how long it takes is unit-tested in isolation.
"""
