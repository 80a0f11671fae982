"""Crash contoso3 while Guest1 runs there; two consoles watch it fail over."""
from playwright.sync_api import expect


def open_guest1(page):
    page.get_by_role("link", name="Quick migration, Windows Server 2008", exact=True).click()
    page.locator(".tree a", has_text="contoso-cl1.contoso.com").click()
    page.locator(".tree a", has_text="Services and Applications").click()
    page.locator("#roles-list tbody tr", has_text="Guest1").click()
    expect(page.locator("[id$='-detail-owner']")).to_have_text("contoso3")


def test_node_crash_fails_guest1_over_to_contoso4(signed_in, second_console, shot):
    a, b = signed_in, second_console
    open_guest1(a)
    open_guest1(b)
    a.locator("#lab-clock button", has_text="\u00d710").click()
    expect(b.locator("#lab-clock .clock-speed")).to_have_text("\u00d710")

    a.locator(".tree a", has_text="Nodes").click()
    a.locator("#nodes-list tbody tr", has_text="contoso3").click()
    a.locator("#actions .action", has_text="Power Off (crash)").click()
    expect(a.locator("#nodes-list tbody tr", has_text="contoso3")).to_contain_text("Powered off")

    status = b.locator("[id$='-detail-status']")
    expect(status).to_contain_text("Pending", timeout=15000)
    expect(b.locator("[id$='-detail-owner']")).to_have_text("contoso4")
    shot(b, "failover-pending")
    expect(status).to_contain_text("Online", timeout=30000)
    expect(b.locator("#roles-list tbody tr", has_text="Guest1")).to_contain_text("contoso4")
    expect(a.locator("#nodes-list tbody tr", has_text="contoso3")).to_contain_text("Down")
    b.locator(".tree a", has_text="Cluster Events").click()
    expect(b.locator("#events-list")).to_contain_text("1135")
    expect(b.locator("#events-list")).to_contain_text("1069")
    shot(b, "failover-events")
