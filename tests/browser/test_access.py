"""An open console follows its user's access: signing out in another tab says so in this one."""
import re

from playwright.sync_api import expect


def test_a_console_says_so_when_its_user_signs_out_in_another_tab(signed_in, live_server_url, shot):
    page = signed_in
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.get_by_role("link", name="Live migration, Windows Server 2008 R2").click()
    expect(page.locator(".tree")).to_contain_text("Failover Cluster Manager")
    expect(page.locator("#lab-sync[data-changed]")).to_have_count(1)  # its socket is open

    other = page.context.new_page()
    other.goto(page.url)
    other.locator(".menubar summary", has_text="File").click()
    other.get_by_role("button", name="Sign out").click()
    expect(other).to_have_url(re.compile(r"/login/"))

    banner = page.locator("#access-closed")
    expect(banner).to_contain_text("You have signed out. Reload the page to sign in again.")
    expect(page.locator(".window")).to_have_class(re.compile(r"\bread-only\b"))
    shot(page, "signed-out-elsewhere")
    # htmx's first reconnect would come within 2 s: none comes after a close for access.
    page.wait_for_timeout(2500)
    assert len(sockets) == 1, sockets
    expect(page.locator("#access-closed")).to_have_count(1)
    banner.get_by_role("button", name="Reload").click()
    expect(page).to_have_url(re.compile(r"/login/"))


def test_a_console_whose_lab_is_removed_offers_the_list_of_labs(signed_in, live_server_url):
    page = signed_in
    page.get_by_role("link", name="Live migration, Windows Server 2008 R2").click()
    expect(page.locator("#lab-sync[data-changed]")).to_have_count(1)  # its socket is open
    lab_id = re.search(r"/labs/(\d+)/", page.url).group(1)

    admin = page.context.new_page()
    admin.goto(f"{live_server_url}/admin/inventory/lab/{lab_id}/delete/")
    admin.get_by_role("button", name=re.compile("Yes, I.m sure")).click()
    expect(admin.locator(".messagelist")).to_contain_text("deleted successfully")

    banner = page.locator("#access-closed")
    expect(banner).to_contain_text("This lab has been removed. Open the list of labs.")
    banner.get_by_role("button", name="Open the list of labs").click()
    expect(page.locator("#lab-list")).to_be_visible()
    expect(page.locator("#lab-list")).not_to_contain_text("Live migration, Windows Server 2008 R2")
