"""Each source document's walkthrough, from its own starting point, in its version's console and words.

One test per seed (the white papers and walkthroughs the product is built
from). Each loads the lab the document starts from, sets the lab's clock to
x60 from the status bar, and then drives the console only: the steps are
data in the format of an exercise's `[[solution]]` (docs/training.md),
played by visible labels through tests/browser/replay.py, with assertions on
what the page shows after the key moments.
"""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.replay import Replayer


def load_lab(name):
    from fcm.engine import labfile
    from fcm.inventory import owners
    return labfile.load(labfile.lab_path(name), owners.administrator())


def open_lab(page, live_server_url, lab):
    """The lab's root in the console, its clock at x60."""
    replayer = Replayer(page)
    page.goto(f"{live_server_url}/labs/{lab.pk}/")
    expect(page.locator(".tree")).to_be_visible()
    page.locator("#lab-clock button", has_text="\u00d760").click()
    expect(page.locator("#lab-clock .clock-speed")).to_have_text("\u00d760")
    return replayer


def step(do, *path, value=None, objective="-"):
    s = {"objective": objective, "do": do, "path": list(path)}
    if value is not None:
        s["value"] = value
    return s


def row(page, name, list_id=None):
    rows = page.locator(f"#{list_id} tbody tr" if list_id else "tbody tr:visible")
    return rows.filter(has=page.get_by_role("cell", name=name, exact=True)).first


# --- Seed 000: Windows Server 2008 quick migration white paper ------------------------------------------------

SEED_000_CLUSTER = [
    step("click", "Validate a Configuration...", "Next >", objective="validate"),
    step("type", "Enter name", value="contoso3, contoso4", objective="validate"),
    step("click", "Next >", "Next >", "Next >", "Finish", objective="validate"),
    step("click", "Create a Cluster...", "Next >", objective="create"),
    step("type", "Enter server name", value="contoso3, contoso4", objective="create"),
    step("click", "Next >", objective="create"),
    step("type", "Cluster Name", value="contoso-cl1", objective="create"),
    step("type", "Address on 192.168.1.0/24", value="192.168.1.20", objective="create"),
    step("click", "Next >", "Next >", "Finish", objective="create"),
]

SEED_000_HA = [
    # "You can select multiple virtual machines to make highly available in a single action."
    step("click", "contoso-cl1.contoso.com", "Services and Applications", "Configure a Service or Application...",
         "Next >", objective="ha"),
    step("choose", "Select Service or Application", value="Virtual Machine", objective="ha"),
    step("click", "Next >", objective="ha"),
    step("check", "Guest1", value=True, objective="ha"),
    step("check", "Guest7", value=True, objective="ha"),
    step("click", "Next >", "Next >", "Finish", objective="ha"),
    step("click", "Guest1", "Bring this service or application online", objective="online"),
    step("wait", "Guest1", value="Online", objective="online"),
    step("click", "Guest7", "Bring this service or application online", objective="online"),
    step("wait", "Guest7", value="Online", objective="online"),
]

SEED_000_MOVE = [
    step("click", "Guest1", "Move virtual machine(s) to another node", "1 - Move to node contoso4",
         objective="quick migration"),
]

SEED_000_HYPERV = [
    step("click", "Servers", "contoso4", "Virtual Machines", objective="hyper-v manager"),
    step("wait", "Guest1", value="Running", objective="hyper-v manager"),
]


@pytest.fixture
def lab_2008_unclustered(demo_labs):
    return load_lab("quick-migration-2008-unclustered")


def test_seed_000_quick_migration_2008_from_two_servers(lab_2008_unclustered, signed_in, live_server_url, shot):
    page = signed_in
    replayer = open_lab(page, live_server_url, lab_2008_unclustered)
    # 2008's snap-in calls itself "Failover Cluster Management" (2008 R2 renamed it).
    expect(page.locator(".tree a").first).to_have_text(re.compile(r"Failover Cluster Manage(ment|r)$"))

    replayer.play(SEED_000_CLUSTER, "seed-000-cluster")
    expect(page.locator(".tree")).to_contain_text("contoso-cl1.contoso.com")

    replayer.play(SEED_000_HA, "seed-000-ha")
    for name in ("Guest1", "Guest7"):
        expect(row(page, name, "roles-list")).to_contain_text("Online")
        expect(row(page, name, "roles-list")).to_contain_text("contoso3")
    shot(page, "seed-000-online")

    replayer.play(SEED_000_MOVE, "seed-000-move")
    # "the virtual machine enters a pending state before it is moved"
    expect(page.locator("[id$='-detail-status']")).to_contain_text("Pending")
    expect(page.locator("[id$='-detail-owner']")).to_have_text("contoso4", timeout=120_000)
    expect(page.locator("[id$='-detail-status']")).to_contain_text("Online", timeout=120_000)
    expect(row(page, "Guest1", "roles-list")).to_contain_text("contoso4")
    expect(row(page, "Guest1", "roles-list")).to_contain_text("Online")
    expect(row(page, "Guest7", "roles-list")).to_contain_text("contoso3")
    shot(page, "seed-000-moved")
    # "In the following figure, you can see that virtual machine Guest1 is running on node contoso4."
    replayer.play(SEED_000_HYPERV, "seed-000-hyperv")
    expect(row(page, "Guest1")).to_contain_text("Running")
