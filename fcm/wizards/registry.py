"""Every wizard by its URL name."""
from .cluster_config import AddNodeWizard, QuorumWizard
from .create import CreateClusterWizard
from .validate import ValidateWizard

WIZARDS = {w.kind: w for w in (ValidateWizard, CreateClusterWizard, AddNodeWizard, QuorumWizard)}
#: Wizards that work on an existing cluster (their URL names it).
CLUSTER_WIZARDS = {"add-node", "quorum"}
