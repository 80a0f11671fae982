"""Signals training sends for the layers above it to act on (it imports none of them).

`session_ended`: a trainer ended a session (fcm.training.classroom.end); sent inside the transaction
that ends it, with `session` and `trainee_user_ids`. Receivers that reach outside the database wait
for the commit (fcm.live closes the trainees' open sockets).
"""
from django.dispatch import Signal

session_ended = Signal()
