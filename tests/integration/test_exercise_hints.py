"""Hints name only what the console of the exercise's version shows (the labels of its menus and tree)."""
import pytest

from fcm.engine import labfile
from fcm.sim import versions
from fcm.training import catalogue

#: Labels that exist only from Windows Server 2012 on (2008 and 2008 R2 say "Services and Applications",
#: "Configure a Service or Application...", "Move virtual machine(s) to another node").
LABELS_FROM_2012 = ("Roles >", "in Roles", "Configure Role...", "Move > Quick Migration", "Move > Live Migration",
                    "Select Node...", "Best Possible Node")


def _version_order(exercise_name):
    lab = labfile.read(labfile.lab_path(catalogue.load(exercise_name)["lab"]))
    return max(versions.get(n["os_version"]).order for n in lab["nodes"])


BEFORE_2012 = [name for name in catalogue.available() if _version_order(name) < 3]


def test_the_catalogue_has_exercises_on_2008_and_2008_r2():
    assert len(BEFORE_2012) >= 2, BEFORE_2012


@pytest.mark.parametrize("name", BEFORE_2012)
def test_hints_use_the_labels_of_the_exercises_version(name):
    for hint in catalogue.load(name)["hints"]:
        assert not [label for label in LABELS_FROM_2012 if label in hint], (name, hint)
