"""The three-pane Failover Cluster Manager console, with htmx.

Rules of the house: imports fcm.training and below; no view module imports
another. Views are thin: lab / cluster / role loading, the dialog frame and
the one place that turns an engine refusal into a message (base.py); every
read in selectors.py; what several views render in presenters.py; the
Actions pane and context menus in menus.py; every write an engine command.
Templates own markup; views own no HTML strings.
"""
