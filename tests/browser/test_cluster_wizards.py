"""Validate, read the report, create a cluster, add a Cluster Shared Volume — by clicking."""
import re

from playwright.sync_api import expect


def test_validate_create_cluster_and_add_a_csv(signed_in, live_server_url, shot):
    page = signed_in  # the demo labs include two-node-fresh-2012
    page.get_by_role("link", name="Two fresh Windows Server 2012 servers").click()
    page.locator("#lab-clock button", has_text="\u00d710").click()
    expect(page.locator("#lab-clock .clock-speed")).to_have_text("\u00d710")

    page.locator("#actions .action", has_text="Validate Configuration...").click()
    wizard = page.locator("#wizard-dialog")
    expect(wizard).to_contain_text("Before You Begin")
    wizard.get_by_role("button", name="Next >").click()
    wizard.get_by_label("Enter name").fill("HV-A, NOSUCH")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard).to_contain_text("The computer 'NOSUCH' could not be reached")
    shot(page, "validate-servers-error")
    wizard.get_by_label("Enter name").fill("")
    wizard.locator("button[data-add-name='HV-A']").click()
    wizard.locator("button[data-add-name='HV-B']").click()
    expect(wizard.get_by_label("Enter name")).to_have_value("HV-A, HV-B")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard.locator(".wizard-steps li.current")).to_have_text("Testing Options")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard).to_contain_text("Test-Cluster -Node HV-A,HV-B")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard.locator(".grid.tests")).to_contain_text("Running")
    shot(page, "validate-running")
    expect(wizard).to_contain_text("Testing has completed successfully", timeout=30000)
    shot(page, "validate-summary")
    with page.expect_popup() as popup:
        wizard.get_by_text("View Report...").click()
    report = popup.value
    expect(report.locator("h1")).to_have_text("Failover Cluster Validation Report")
    expect(report.locator("body")).to_contain_text("Validate SCSI-3 Persistent Reservation")
    shot(report, "validation-report")
    report.close()

    wizard.get_by_role("button", name="Create the cluster now using the validated nodes...").click()
    wizard = page.locator("#wizard-dialog")
    expect(wizard).to_contain_text("Create Cluster Wizard")
    expect(wizard.locator(".wizard-steps li.current")).to_have_text("Access Point for Administering the Cluster")
    wizard.get_by_label("Cluster Name").fill("CL2012")
    wizard.get_by_label("Address on 10.10.0.0/24").fill("10.10.0.300")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard).to_contain_text("'10.10.0.300' is not a valid IPv4 address.")
    wizard.get_by_label("Address on 10.10.0.0/24").fill("10.10.0.50")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard).to_contain_text("New-Cluster -Name CL2012 -Node HV-A,HV-B -StaticAddress 10.10.0.50")
    shot(page, "create-confirmation")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard).to_contain_text("Creating New Cluster")
    expect(wizard).to_contain_text("You have successfully completed the Create Cluster Wizard", timeout=30000)
    shot(page, "create-summary")
    wizard.get_by_role("button", name="Finish").click()
    expect(page.locator("#wizard-dialog")).to_have_count(0)
    expect(page.locator(".tree")).to_contain_text("CL2012.contoso.com")

    page.locator(".tree a", has_text="CL2012.contoso.com").click()
    page.locator(".tree a", has_text="Disks").click()
    row = page.locator("#disks-list tbody tr", has_text="Available Storage").first
    row.click()
    page.locator("#actions .action", has_text="Add to Cluster Shared Volumes").click()
    expect(page.locator("#disks-list")).to_contain_text("Cluster Shared Volume", timeout=10000)
    page.reload()
    expect(page.locator("#disks-list")).to_contain_text("Cluster Shared Volume")
    page.locator("#selection .tab", has_text="Volumes").click()
    expect(page.locator("#selection")).to_contain_text(re.compile(r"C:\\ClusterStorage\\Volume1"))
    shot(page, "csv-added")
