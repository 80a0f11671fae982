"""Hyper-V Settings > Live Migrations of a standalone 2012 server: a refusal at its box, then OK, then the saved
settings and their PowerShell when the dialog opens again."""
from playwright.sync_api import expect


def test_enable_live_migrations_with_kerberos_on_hv_a(signed_in, live_server_url, shot):
    page = signed_in
    page.goto(f"{live_server_url}/")
    page.get_by_role("link", name="Two fresh Windows Server 2012 servers").click()
    page.locator(".tree a", has_text="Servers").click()
    page.locator("#servers-list tbody tr", has_text="HV-A").click()
    page.locator("#actions .action", has_text="Live Migrations...").click()
    dialog = page.locator("#action-dialog")
    expect(dialog).to_contain_text("Hyper-V Settings for HV-A")
    expect(dialog).not_to_contain_text("Performance options")  # 2012: memory goes over TCP/IP
    dialog.get_by_label("Enable incoming and outgoing live migrations").check()
    dialog.get_by_label("Simultaneous live migrations").fill("0")
    dialog.get_by_label("Use Kerberos").check()
    dialog.get_by_label("Use these IP addresses for live migration:").check()
    dialog.locator("#id_networks").fill("10.0.2.0/24")
    dialog.get_by_role("button", name="OK").click()
    error = dialog.locator("#simultaneous-error")
    expect(error).to_have_text("Simultaneous live migrations must be a number from 1 to 64.")
    expect(dialog.get_by_label("Use Kerberos")).to_be_checked()  # what was typed stays
    shot(page, "hyperv-settings-refused")
    dialog.get_by_label("Simultaneous live migrations").fill("4")
    dialog.get_by_role("button", name="OK").click()
    expect(page.locator("#action-dialog")).to_have_count(0)
    page.locator("#actions .action", has_text="Live Migrations...").click()
    dialog = page.locator("#action-dialog")
    expect(dialog.get_by_label("Enable incoming and outgoing live migrations")).to_be_checked()
    expect(dialog.get_by_label("Use Kerberos")).to_be_checked()
    expect(dialog.locator("#id_networks")).to_have_value("10.0.2.0/24")
    expect(dialog.locator("#powershell-line")).to_contain_text(
        "Enable-VMMigration -ComputerName HV-A; Set-VMHost -ComputerName HV-A -MaximumVirtualMachineMigrations 4")
    shot(page, "hyperv-settings-live-migrations")


def test_an_action_clicked_as_a_push_replaces_its_group_still_opens_its_dialog(signed_in, live_server_url):
    """htmx drops the answer to a request whose element left the page: the console holds the pushed group
    back until the answer is in, then puts it in (the push here is the lab's own message, sent by hand
    at the worst moment: right after the click, before the answer)."""
    page = signed_in
    page.goto(f"{live_server_url}/")
    page.get_by_role("link", name="Two fresh Windows Server 2012 servers").click()
    page.locator(".tree a", has_text="Servers").click()
    page.locator("#servers-list tbody tr", has_text="HV-A").click()
    group = page.locator("#actions .action-group-selected")
    expect(group.locator(".action", has_text="Live Migrations...")).to_be_visible()
    page.evaluate("""() => {
        const link = document.querySelector('#actions .action-group-selected a.action[href$="/migrations/"]');
        const group = link.closest('section');
        const pushed = group.outerHTML.replace('<section', '<section hx-swap-oob="true"')
            .replace('Restart Server', 'Restart Server (pushed)');
        link.click();
        htmx.swap('#lab-sync', pushed, {swapStyle: 'none'});
    }""")
    expect(page.locator("#action-dialog")).to_contain_text("Hyper-V Settings for HV-A")
    expect(group).to_contain_text("Restart Server (pushed)")  # and the push is not lost either
