"""Hyper-V over SMB rules (fcm.sim.smb): paths, who may keep VM files on a share, what a host reads them at;
and the move of a VM that is off whose files stay on the share."""
import pytest
from hypothesis import given, strategies as st

from fcm.sim import migration, smb

LINK_1G = 1000e6 / 8 / 2**20


def share(**kw):
    return smb.Share(**{"unc": r"\\FS01\VMs", "server": "FS01", "server_version_order": 3,
                        "server_version_label": "Windows Server 2012", "full_access": frozenset({"HV01"}),
                        "networks": {"Public": ("10.10.0.0/24", 1000)}, "throughput_mib_s": 500, **kw})


HOST_NETWORKS = {"Public": ("10.10.0.0/24", 1000), "Live Migration": ("10.20.0.0/24", 10000)}


@pytest.mark.parametrize("path,parsed", [
    (r"\\FS01\VMs\APP02\APP02.vhdx", ("FS01", "VMs", r"APP02\APP02.vhdx")),
    (r"\\FS01\VMs", ("FS01", "VMs", "")),
    (r"\\FS01\VMs\APP02\\", ("FS01", "VMs", "APP02")),
    (r"D:\Hyper-V\APP01", None), (r"\\FS01", None), (r"\\\VMs", None), ("", None), (None, None),
])
def test_a_unc_path_names_its_server_and_share(path, parsed):
    assert smb.parse_unc(path) == parsed


def test_full_control_is_what_a_host_needs_on_a_reachable_smb3_share():
    assert smb.access_problem(share(), "HV01", HOST_NETWORKS) is None
    assert smb.access_problem(share(), "hv01", HOST_NETWORKS) is None  # account names ignore case
    assert "CONTOSO\\HV02$ Full Control" in smb.access_problem(share(), "HV02", HOST_NETWORKS)
    assert "SMB 2.1" in smb.access_problem(share(server_version_order=2, server_version_label="Windows Server 2008 R2"),
                                           "HV01", HOST_NETWORKS)
    assert "while FS01 is off" in smb.access_problem(share(server_on=False), "HV01", HOST_NETWORKS)
    assert "has no network to FS01" in smb.access_problem(share(), "HV01", {"Live Migration": ("10.20.0.0/24", 1000)})


def test_a_host_reads_a_share_at_its_best_shared_link_or_the_volume_if_slower():
    # The file server has only 1 GbE: the host's 10 GbE Live Migration network does not reach it.
    assert smb.storage_rate_mib_s(share(), HOST_NETWORKS) == pytest.approx(LINK_1G * migration.SMB_EFFICIENCY)
    ten = share(networks={"Live Migration": ("10.20.0.0/24", 10000)})
    assert smb.storage_rate_mib_s(ten, HOST_NETWORKS) == 500  # the volume is the bottleneck now
    assert smb.storage_rate_mib_s(share(), {}) == 0


@given(st.dictionaries(st.sampled_from(["A", "B", "C"]), st.integers(1, 100_000), min_size=1),
       st.dictionaries(st.sampled_from(["A", "B", "C"]), st.integers(1, 100_000), min_size=1))
def test_the_link_is_symmetric_and_never_beyond_either_adapter(host, server):
    h = {k: ("s", v) for k, v in host.items()}
    s = {k: ("s", v) for k, v in server.items()}
    rate = smb.link_mib_s(h, s)
    assert rate == smb.link_mib_s(s, h)
    shared = set(host) & set(server)
    assert (rate > 0) == bool(shared)
    if shared:
        assert rate <= migration.line_rate_mib_s(max(min(host[k], server[k]) for k in shared))


def test_a_vm_that_is_off_on_a_share_only_registers_on_the_destination():
    plan = migration.plan_registration_move()
    assert [p.key for p in plan.phases] == ["setup", "switch-storage"] and plan.downtime_s == 0
    assert plan.total_s == migration.DEFAULT_SETUP_S + migration.DEFAULT_STORAGE_SWITCH_S
    assert plan.progress(0) == 0 and plan.progress(plan.total_s) == 99 and migration.summary(plan).endswith(
        "no downtime")
