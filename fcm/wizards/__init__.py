"""The console's wizards: one module per wizard over shared step machinery (base.py, registry.py).

Rules of the house: imports fcm.engine and below. A wizard's state lives in
its WizardDraft row (not the session); each page validates with a Django
form; Finish calls exactly one engine command, once per draft, and its
progress page follows the Operation the command began.
"""
