import pytest

from fcm.sim import versions


def test_tree_label_changes_with_2012():
    assert versions.get("2008").roles_label == "Services and Applications"
    assert versions.get("2008R2").roles_label == "Services and Applications"
    for code in ("2012", "2012R2", "2016", "2019", "2022"):
        assert versions.get(code).roles_label == "Roles"


def test_live_migration_arrives_with_2008_r2_one_at_a_time():
    assert not versions.get("2008").live_migration
    assert versions.get("2008R2").simultaneous_live_migrations == 1
    assert versions.get("2012").simultaneous_live_migrations == 2


@pytest.mark.parametrize("code,hyperv,expected", [
    ("2008", False, (1000, 5, 1000, 5)),
    ("2012R2", False, (1000, 5, 1000, 5)),
    ("2012R2", True, (1000, 10, 1000, 20)),
    ("2016", False, (1000, 10, 1000, 20)),
    ("2022", True, (1000, 10, 1000, 20)),
])
def test_heartbeat_defaults(code, hyperv, expected):
    hb = versions.heartbeat_defaults(code, hyperv)
    assert (hb.same_subnet_delay_ms, hb.same_subnet_threshold,
            hb.cross_subnet_delay_ms, hb.cross_subnet_threshold) == expected


def test_scale_limits():
    assert versions.get("2008R2").max_nodes == 16
    assert versions.get("2016").max_nodes == 64
    assert versions.get("2016").max_vms_per_cluster == 8000
    assert versions.get("2012").max_vms_per_cluster == 4000


def test_unknown_version_names_the_valid_ones():
    with pytest.raises(KeyError, match="2008R2"):
        versions.get("2003")


def test_versions_are_ordered():
    orders = [v.order for v in versions.VERSIONS.values()]
    assert orders == sorted(orders)


def test_the_configuration_version_a_host_gives_its_vms_and_when_the_column_shows():
    assert [versions.get(c).vm_configuration_version for c in ("2012", "2012R2", "2016", "2019", "2022")] == [
        "4.0", "5.0", "8.0", "9.0", "10.0"]
    assert not versions.get("2012R2").shows_configuration_version and versions.get("2016").shows_configuration_version
