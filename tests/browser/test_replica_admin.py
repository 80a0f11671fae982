"""Replica administration clicked like a person: the broker, the settings, test and planned failover."""
from playwright.sync_api import expect

from tests.browser.test_faults import settled
from tests.browser.test_replica import open_role


def replication_action(page, label):
    """Click Replication › label; for an action that posts, wait until its answer has been shown."""
    action = page.locator("#actions .action", has_text=f"Replication › {label}")
    if action.evaluate("e => e.tagName") == "BUTTON":
        with page.expect_response(lambda r: r.request.method == "POST" and "/replication/" in r.url):
            action.click()
        # the answer is swapped in: htmx has no request, swap or settle under way
        page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    else:
        action.click()


def test_broker_settings_test_and_planned_failover(signed_in, shot):
    page = signed_in
    page.get_by_role("link", name="Disaster recovery with Hyper-V Replica, Windows Server 2012").click()
    page.locator("#lab-clock button", has_text="\u00d760").click()

    # DR-BROKER's Replication Settings: a bad authorization line is refused at the field, then any server is allowed.
    open_role(page, "DR-CL", "DR-BROKER")
    page.locator("#actions .action", has_text="Replication Settings").click()
    dialog = page.locator("#action-dialog")
    dialog.get_by_label("Primary Server, Storage Location, Trust Group (one per line):").fill("nonsense")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_contain_text("give the primary server and its storage location")
    dialog.get_by_label("Allow replication from any authenticated server").check()
    dialog.get_by_label("Primary Server, Storage Location, Trust Group (one per line):").fill("")
    shot(page, "replica-broker-settings")
    with page.expect_event("load"):
        dialog.get_by_role("button", name="OK").click()
    settled(page)

    # Enable replication of HQ-FILE01 from an existing copy on the Replica server.
    open_role(page, "HQ-CL", "HQ-FILE01")
    replication_action(page, "Enable Replication...")
    wizard = page.locator("#wizard-dialog")
    wizard.get_by_role("button", name="Next >").click()
    wizard.get_by_label("Replica server:").fill("DR-BROKER")
    for expected in ("Specify Connection Parameters", "Choose Replication VHDs",
                     "Configure Additional Recovery Points", "Choose Initial Replication Method"):
        wizard.get_by_role("button", name="Next >").click()
        expect(wizard.locator(".wizard-steps li.current")).to_have_text(expected)
    wizard.get_by_label("Use an existing virtual machine on the Replica server as the initial copy").check()
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard.locator(".wizard-steps li.current")).to_have_text("Completing the Enable Replication Wizard")
    wizard.get_by_role("button", name="Finish").click()
    expect(wizard).to_contain_text("Comparing with the existing virtual machine")
    expect(wizard).to_contain_text("Summary", timeout=20000)
    wizard.get_by_role("button", name="Finish").click()

    # Reset Statistics in the health dialog; then pause and resume.
    page.locator("#selection .tabs a", has_text="Replication").click()
    expect(page.locator("[id$='-replication']")).to_contain_text("Replication Enabled", timeout=15000)
    replication_action(page, "View Replication Health...")
    dialog = page.locator("#action-dialog")
    expect(dialog).to_contain_text("Replication Health for 'HQ-FILE01'")
    dialog.get_by_role("button", name="Reset Statistics").click()
    expect(dialog.locator("#replication-successful")).to_have_text("0")
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    replication_action(page, "Pause Replication")
    expect(page.locator("[id$='-replication']")).to_contain_text("Replication Paused")
    replication_action(page, "Resume Replication")
    expect(page.locator("[id$='-replication']")).to_contain_text("Replication Enabled")

    # Test failover on the replica, then stop it.
    open_role(page, "DR-CL", "HQ-FILE01")
    replication_action(page, "Test Failover...")
    dialog = page.locator("#action-dialog")
    expect(dialog).to_contain_text("HQ-FILE01 - Test")
    dialog.get_by_role("button", name="Test Failover").click()
    expect(page.locator("#actions")).to_contain_text("Stop Test Failover")
    page.locator("#selection .tabs a", has_text="Replication").click()
    expect(page.locator("[id$='-replication']")).to_contain_text("Test failover running: HQ-FILE01 - Test")
    replication_action(page, "Stop Test Failover")
    expect(page.locator("#actions")).to_contain_text("Test Failover...")
    expect(page.locator("dialog[open]")).to_have_count(0)

    # Planned failover: refused while the VM runs; shut it down, then it fails over and reverses.
    open_role(page, "HQ-CL", "HQ-FILE01")
    replication_action(page, "Planned Failover...")
    dialog = page.locator("#action-dialog")
    expect(dialog).to_contain_text("shut it down first")
    dialog.get_by_role("button", name="Cancel").click()
    page.locator("#actions .action", has_text="Shut Down").click()
    expect(page.locator("[id$='-detail-status']")).to_contain_text("Off", timeout=20000)
    replication_action(page, "Planned Failover...")
    dialog = page.locator("#action-dialog")
    expect(dialog.locator("td", has_text="Passed")).to_have_count(4)
    shot(page, "replica-planned-failover")
    dialog.get_by_role("button", name="Fail Over").click()
    page.locator("#selection .tabs a", has_text="Replication").click()
    expect(page.locator("[id$='-replication']")).to_contain_text("Replica", timeout=15000)  # now the replica side
    expect(page.locator("[id$='-replication']")).to_contain_text("DR-BROKER.contoso.com")
    open_role(page, "DR-CL", "HQ-FILE01")
    expect(page.locator("[id$='-detail-status']")).to_contain_text("Running", timeout=20000)
    replication_action(page, "Remove Replication")
    expect(page.locator("#actions")).to_contain_text("Enable Replication...")


def test_configure_a_replica_broker_and_a_standalone_replica_server(signed_in, live_server_url, make_generated_lab,
                                                                    shot):
    lab = make_generated_lab(nodes=2, vms=2, os_version="2012")
    page = signed_in
    page.goto(f"{live_server_url}/labs/{lab.pk}/")
    page.locator(".tree a", has_text="GEN-CL01").click()
    page.locator("#actions .action", has_text="Configure Role...").click()
    wizard = page.locator("#wizard-dialog")
    wizard.get_by_role("button", name="Next >").click()
    wizard.get_by_label("Hyper-V Replica Broker").check()
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard.locator(".wizard-steps li.current")).to_have_text("Client Access Point")
    wizard.get_by_label("Name:").fill("GEN-BROKER")
    wizard.get_by_label("Address:").fill("192.168.9.9")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard).to_contain_text("not on a network that clients can reach")
    wizard.get_by_label("Address:").fill("10.0.0.90")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard).to_contain_text("Add-ClusterServerRole -Name GEN-BROKER")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard).to_contain_text("High availability was successfully configured for the role GEN-BROKER",
                                   timeout=20000)
    wizard.get_by_role("button", name="Finish").click()
    page.locator(".tree a", has_text="Roles").click()
    page.locator("#roles-list tbody tr", has_text="GEN-BROKER").click()
    page.locator("#actions .action", has_text="Replication Settings").click()
    dialog = page.locator("#action-dialog")
    dialog.get_by_label("Enable this cluster as a Replica server").check()
    dialog.get_by_label("Specify the default location to store Replica files:").fill(r"C:\ClusterStorage\Volume1\Replica")
    with page.expect_event("load"):
        dialog.get_by_role("button", name="OK").click()

    # A standalone Hyper-V server: Servers -> HV-A -> Hyper-V Settings -> Replication Configuration.
    page.goto(f"{live_server_url}/")
    page.get_by_role("link", name="Two fresh Windows Server 2012 servers").click()
    page.locator(".tree a", has_text="Servers").click()
    page.locator("#servers-list tbody tr", has_text="HV-A").click()
    page.locator("#actions .action", has_text="Replication Configuration...").click()
    dialog = page.locator("#action-dialog")
    expect(dialog).to_contain_text("Hyper-V Settings for HV-A")
    dialog.get_by_label("Enable this computer as a Replica server").check()
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_contain_text("Specify the default location to store Replica files.")
    shot(page, "replica-server-configuration")
    dialog.get_by_label("Specify the default location to store Replica files:").fill(r"D:\Hyper-V Replica")
    with page.expect_event("load"):
        dialog.get_by_role("button", name="OK").click()
    from fcm.inventory.models import ReplicaServer
    assert ReplicaServer.objects.get(name="HV-A").enabled
    assert ReplicaServer.objects.get(name="GEN-BROKER").enabled
