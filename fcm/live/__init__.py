"""Live updates: the Channels consumers (a lab's consoles, a trainer's dashboard), fragments, push.

Rules of the house: imports fcm.console and below. It only renders and
sends: a consumer checks the Origin, the session and the lab's visibility
when it connects, then forwards fragments rendered once per engine pass
(fragments.py, from the same partial templates as the pages).
"""
