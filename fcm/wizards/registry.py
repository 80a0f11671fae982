"""Every wizard by its URL name."""
from .cluster_config import AddNodeWizard, QuorumWizard
from .configure_role import ConfigureRoleWizard
from .create import CreateClusterWizard
from .enable_replication import EnableReplicationWizard
from .move_vm import MoveVmWizard
from .new_vm import NewVmWizard
from .validate import ValidateWizard

WIZARDS = {w.kind: w for w in (ValidateWizard, CreateClusterWizard, AddNodeWizard, QuorumWizard,
                               ConfigureRoleWizard, NewVmWizard, EnableReplicationWizard, MoveVmWizard)}
#: Wizards that work on an existing cluster (their URL names it).
CLUSTER_WIZARDS = {"add-node", "quorum", "configure-role"}
