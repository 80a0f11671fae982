"""Training sessions: exercises, join codes, per-trainee labs, objectives, grading, the trainer's dashboard.

Rules of the house: imports fcm.wizards and below. Views write what changed
(an Outbox row) and the engine's loop pushes it, as every other change;
faults are injected through the same engine commands as the Simulate menu.
Grading runs after each engine pass (a hook the composition root registers).
"""
