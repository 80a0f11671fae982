"""The lab's models: servers, networks, disks, clusters, roles, VMs, replication, events.

Rules of the house: imports only fcm.sim. The product's state enums carry
their presentation (looks.py: icon and colour per member); code compares
members, not display strings. Models hold data and its invariants; state
that changes over time is written by the engine's commands, never here.
Also: the lab generator (generate.py, `genlab`), owners, sign-in
throttling shared by the doors that guard against guessing (throttle.py).
"""
