"""Every wizard by its URL name."""
from .create import CreateClusterWizard
from .validate import ValidateWizard

WIZARDS = {w.kind: w for w in (ValidateWizard, CreateClusterWizard)}
