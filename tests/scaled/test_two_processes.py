"""Two browsers on two daphne processes: what one starts, the other sees, live (Redis in between)."""
import re

from playwright.sync_api import expect


def open_sql01(page):
    page.get_by_role("link", name="Live migration, Windows Server 2008 R2").click()
    page.locator(".tree a", has_text="WS08R2-CL01.contoso.com").click()
    page.locator(".tree a", has_text="Services and Applications").click()
    page.locator("#roles-list tbody tr", has_text="vWS08-SQL01").click()
    expect(page.locator("#selection")).to_contain_text("Current Owner")
    page.locator("#lab-sync[data-changed]").wait_for(state="attached")


def test_a_migration_started_on_b_streams_to_a(browser, processes):
    a = browser.new_context().new_page()
    b = browser.new_context().new_page()
    a.goto(processes.sign_in_link("A"))
    b.goto(processes.sign_in_link("B"))
    assert a.url.startswith(processes.url("A")) and b.url.startswith(processes.url("B"))
    open_sql01(a)
    open_sql01(b)
    b.locator("#lab-clock button", has_text="\u00d710").click()
    expect(a.locator("#lab-clock .clock-speed")).to_have_text("\u00d710")
    b.locator("#actions .action", has_text="1 - Live migrate to node WS08R2-S2").click()
    expect(a.locator("[id$='-detail-info']")).to_contain_text(re.compile(r"Live Migrating, \d+% completed"),
                                                              timeout=15000)
    expect(a.locator("[id$='-detail-owner']")).to_have_text("WS08R2-S2", timeout=30000)
    expect(a.locator("[id$='-detail-status']")).to_contain_text("Online")
