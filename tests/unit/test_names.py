import pytest

from fcm.sim.names import fqdn, netbios_name_problem


@pytest.mark.parametrize("name", ["WS08R2-CL01", "contoso3", "A", "x" * 15, "HV-01"])
def test_valid_names(name):
    assert netbios_name_problem(name) is None


@pytest.mark.parametrize("name,fragment", [
    ("", "required"),
    ("x" * 16, "longer than 15"),
    ("bad name", "space"),
    ("clu*ster", "*"),
    ("a.b", "."),
    ("12345", "digits only"),
    ("under_score", "_"),
])
def test_invalid_names_say_why(name, fragment):
    assert fragment in netbios_name_problem(name)


def test_fqdn():
    assert fqdn("WS08R2-S1", "contoso.com") == "WS08R2-S1.contoso.com"
    assert fqdn("standalone", "") == "standalone"
