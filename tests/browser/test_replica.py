"""Hyper-V Replica on the replica-dr-2012 lab: enable, watch the cycles, cut the WAN, lose HQ, fail over."""
import re

from playwright.sync_api import expect

from tests.browser.test_faults import act, settled


def open_role(page, cluster, role):
    page.locator(".tree a", has_text=f"{cluster}.contoso.com").click()
    expect(page.locator(".centre-header h1")).to_contain_text(f"Cluster {cluster}.contoso.com")
    page.wait_for_load_state("networkidle")  # the cluster page has arrived
    page.locator(".tree a", has_text="Roles").click()
    expect(page.locator("#roles-list")).to_be_visible()
    page.locator("#roles-list tbody tr", has_text=role).click()
    expect(page.locator("#selection h2")).to_have_text(role)


def test_enable_replication_then_fail_over_to_the_dr_site(signed_in, shot):
    from fcm.inventory.models import WanLink
    WanLink.objects.filter(lab__name="replica-dr-2012").update(bandwidth_mbps=1000)  # keeps the initial copy short
    page = signed_in
    page.get_by_role("link", name="Disaster recovery with Hyper-V Replica, Windows Server 2012").click()
    page.locator("#lab-clock button", has_text="\u00d760").click()
    open_role(page, "HQ-CL", "HQ-WEB01")

    page.locator("#actions .action", has_text="Enable Replication...").click()
    wizard = page.locator("#wizard-dialog")
    expect(wizard).to_contain_text("Before You Begin")
    wizard.get_by_role("button", name="Next >").click()
    wizard.get_by_label("Replica server:").fill("DR-BRK")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard.locator(".field-error")).to_contain_text("could not be resolved")
    wizard.get_by_label("Replica server:").fill("DR-BROKER.contoso.com")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard.locator(".wizard-steps li.current")).to_have_text("Specify Connection Parameters")
    expect(wizard.get_by_label("Replica server port:")).to_have_value("80")
    for expected in ("Choose Replication VHDs", "Configure Additional Recovery Points",
                     "Choose Initial Replication Method", "Completing the Enable Replication Wizard"):
        wizard.get_by_role("button", name="Next >").click()
        expect(wizard.locator(".wizard-steps li.current")).to_have_text(expected)
    expect(wizard).to_contain_text("Enable-VMReplication -VMName HQ-WEB01")
    shot(page, "replica-wizard-confirmation")
    wizard.get_by_role("button", name="Finish").click()
    expect(wizard).to_contain_text("Sending the initial copy")
    expect(wizard).to_contain_text("Summary", timeout=20000)
    wizard.get_by_role("button", name="Finish").click()

    # The Replication tab follows the cycles live.
    page.locator("#selection .tabs a", has_text="Replication").click()
    tab = page.locator("[id$='-replication']")
    expect(tab).to_contain_text("Replication Enabled", timeout=15000)
    expect(tab).to_contain_text("Primary")
    expect(tab).to_contain_text("Normal")
    synced = tab.locator("dd").nth(6)
    first = synced.inner_text()
    expect(synced).not_to_have_text(first, timeout=15000)  # a cycle was applied (every 5 minutes, x60)
    shot(page, "replica-tab-normal")

    # The WAN link goes down: cycles are missed, health turns Warning; then it comes back.
    page.locator(".tree a", has_text="HQ-CL.contoso.com").click()
    expect(page.locator(".centre-header h1")).to_contain_text("Cluster HQ-CL.contoso.com")
    act(page, "Disconnect WAN link")
    open_role(page, "HQ-CL", "HQ-WEB01")
    page.locator("#selection .tabs a", has_text="Replication").click()
    expect(page.locator("[id$='-replication']")).to_contain_text("Warning", timeout=30000)
    page.locator("#actions .action", has_text="View Replication Health...").click()
    dialog = page.locator("#action-dialog")
    expect(dialog.locator("#replication-health")).to_contain_text("Warning")
    expect(dialog.locator("#replication-missed")).not_to_have_text("0")
    shot(page, "replica-health-warning")
    dialog.get_by_role("button", name="Close").click()
    page.locator(".tree a", has_text="HQ-CL.contoso.com").click()
    expect(page.locator(".centre-header h1")).to_contain_text("Cluster HQ-CL.contoso.com")
    act(page, "Reconnect WAN link")

    # The primary site is lost: both HQ nodes lose power.
    page.locator(".tree a", has_text="Nodes").click()
    expect(page.locator("#nodes-list")).to_be_visible()
    for node in ("HQ-HV2", "HQ-HV1"):
        page.locator("#nodes-list tbody tr", has_text=node).click()
        act(page, "Power Off (crash)")

    # On the DR cluster, fail the replica over to the latest recovery point.
    open_role(page, "DR-CL", "HQ-WEB01")
    page.locator("#actions .action", has_text=re.compile(r"^\s*Replication\s*›\s*Failover\.\.\.")).click()
    dialog = page.locator("#action-dialog")
    expect(dialog).to_contain_text("Latest Recovery Point")
    window = dialog.locator("#data-loss-window")
    expect(window).to_contain_text(re.compile(r"loses the last \d+"))
    shot(page, "replica-failover-data-loss")
    dialog.get_by_role("button", name="Fail Over").click()
    expect(page.locator("#action-dialog")).to_have_count(0)
    expect(page.locator("[id$='-replication']")).to_contain_text("Failover Complete")  # the details' Replication tab
    expect(page.locator("#roles-list tbody tr", has_text="HQ-WEB01")).to_contain_text("Running", timeout=20000)
    settled(page)
