"""The only writer of simulated state that changes over time.

Rules of the house: imports only fcm.inventory and fcm.sim.
- A command (commands/) commits its change and its Outbox row together;
  refusals raise an `errors.EngineError` in the product's words.
- An action that takes time is an Operation whose kind is one module in
  kinds/, registered with the registry; the core (lifecycle.py) never
  branches on a kind, and no kind imports another (import contract).
- What several kinds share is an effect (effects/), below the kinds.
- Phases carry a stable key that behaviour acts on; their names are shown.
- Grading and rendering belong to higher apps: the runner reaches them
  through hooks that fcm.server registers.
"""
