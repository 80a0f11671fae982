"""Signals training sends for the layers above it to act on (it imports none of them).

`session_ended`: a trainer ended a session (fcm.training.classroom.end); sent inside the transaction
that ends it, with `session` and `trainee_user_ids`. Receivers that reach outside the database wait
for the commit (fcm.live closes the trainees' open sockets).

`lab_replacing`: a trainee's lab is about to be removed and replaced by a fresh copy (a reset,
fcm.training.classroom.reset), with `lab_id` (the old lab). Its open consoles are not closed as for a
removed lab: the reset notice the engine pushes them leads to the new lab.
"""
from django.dispatch import Signal

session_ended = Signal()
lab_replacing = Signal()
