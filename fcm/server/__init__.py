"""The composition root: the only app that imports all the others.

Rules of the house: the apps import downward only — sim, inventory, engine,
wizards, training, shell, console, live, server — and this app wires what
the lower ones cannot import: the engine loop and its pushes (loop.py), the
runner's hooks for grading and rendering (apps.py), the ASGI application
(asgi.py), and the commands that start processes (serve, runengine).
"""
