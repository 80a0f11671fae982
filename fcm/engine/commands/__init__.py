"""Engine commands: what views, wizards, training and the shell call to change the lab.

A click and a cmdlet are two doors to the same command: same refusals
(`fcm.engine.errors.EngineError`), same events, same grading. Each command
commits its change with its Outbox row; changes over time become Operations
whose kinds (fcm/engine/kinds/) carry them out.
"""
