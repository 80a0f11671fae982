"""The 2008 R2 walkthrough, watched from two consoles at once."""
import re

from playwright.sync_api import expect

from tests.browser.test_console import open_r2_lab


def open_role(page):
    open_r2_lab(page)
    page.locator(".tree a", has_text="Services and Applications").click()
    page.locator("#roles-list tbody tr", has_text="vWS08-SQL01").click()
    expect(page.locator("#selection")).to_contain_text("Current Owner")


def percent(page):
    text = page.locator("[id$='-detail-info']").inner_text()
    match = re.search(r"Live Migrating, (\d+)% completed", text)
    return int(match.group(1)) if match else None


def test_live_migration_streams_to_every_open_console(signed_in, second_console, shot):
    a, b = signed_in, second_console
    open_role(a)
    open_role(b)

    # Speed the lab's clock up (x10) from console A; B's status bar follows.
    a.locator("#lab-clock button", has_text="\u00d710").click()
    expect(b.locator("#lab-clock .clock-speed")).to_have_text("\u00d710")
    expect(b.locator("#lab-clock button", has_text="\u00d710")).to_have_class(re.compile("active"))

    # Seed 002: the flyout numbers the other nodes; choosing one starts the live migration.
    a.locator("#actions .action", has_text="Live migrate virtual machine to another node").hover()
    shot(a, "live-migration-flyout")
    a.locator("#actions .action", has_text="1 - Live migrate to node WS08R2-S2").click()

    for page in (a, b):
        expect(page.locator("[id$='-detail-info']")).to_contain_text(re.compile(r"Live Migrating, \d+% completed"))
    first = percent(b)
    expect(b.locator("[id$='-detail-info']")).not_to_have_text(f"Live Migrating, {first}% completed", timeout=5000)
    assert (percent(b) or 100) > first
    shot(b, "live-migration-progress")

    for page in (a, b):
        expect(page.locator("[id$='-detail-owner']")).to_have_text("WS08R2-S2", timeout=20000)
        expect(page.locator("#roles-list")).to_contain_text("WS08R2-S2")
        expect(page.locator("[id$='-detail-status']")).to_contain_text("Online")
        expect(page.locator("[id$='-detail-info']")).not_to_contain_text("Live Migrating")
    # The Migration view tells the story of the move.
    b.locator("#selection .tab", has_text="Migration").click()
    expect(b.locator(".migration")).to_contain_text("Completed")
    expect(b.locator(".migration")).to_contain_text("Memory transfer, round 1 (all memory)")
    expect(b.locator(".migration svg[role='img']")).to_be_visible()
    shot(b, "live-migration-report")


def test_ctrl_click_moves_several_vms_at_once(signed_in, live_server_url, shot):
    from fcm.inventory import owners
    from fcm.inventory.generate import generate
    lab = generate(owners.administrator(), nodes=3, vms=6, name="class-lab")
    page = signed_in
    page.goto(f"{live_server_url}/labs/{lab.pk}/clusters/{lab.clusters.get().pk}/roles/")
    rows = page.locator("#roles-list tbody tr")
    rows.nth(3).focus()
    page.keyboard.press("Enter")  # a focused row opens with Enter, as with a click
    expect(page.locator("#selection")).to_contain_text("VM0004")
    rows.nth(0).click()
    rows.nth(1).click(modifiers=["Control"])
    rows.nth(2).click(modifiers=["Control"])
    expect(page.locator("#selection")).to_contain_text("3 items selected")
    rows.nth(2).click(button="right")
    menu = page.locator("#context-menu")
    expect(menu).to_contain_text("Live Migration")
    menu.locator("button", has_text="Live Migration").click()
    dialog = page.locator("#action-dialog")
    expect(dialog).to_contain_text("3 virtual machines")
    shot(page, "multi-move-dialog")
    dialog.get_by_role("button", name="OK").click()
    for name in ("VM0001", "VM0002", "VM0003"):
        expect(page.locator("#roles-list tbody tr", has_text=name)).to_contain_text(
            re.compile(r"Live Migrat|Queued"))
    shot(page, "multi-move-running")
