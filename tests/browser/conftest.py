"""Browser suite: Playwright driving Debian's Chromium against a live daphne.

Runs in its own pytest process (see Makefile): Playwright's sync API keeps
an event loop on the main thread, which pytest-asyncio tests cannot share.
"""
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

# Playwright's loop runs on the main thread; ORM calls made by the tests
# themselves are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

# An expectation waits for an outcome, never for a speed: Playwright's default of 5 s failed a dialog that
# a loaded two-core machine took longer to answer (the High Availability Wizard, with the engine at x60
# beside another process). 20 s is what the suite's explicit waits for pushed changes already use.
expect.set_options(timeout=20_000)

CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def pytest_collection_modifyitems(config, items):
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        for item in items:
            item.add_marker(pytest.mark.skip(reason=message))


_skipped = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped browser test is a failure, never a silent pass."""
    if IN_CI and _skipped:
        print(f"\nCI: {len(_skipped)} browser test(s) skipped; failing the run.")
        session.exitstatus = 1


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium") or CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 760}}


@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    """No WAL journal for the browser suite's database.

    The live server is a forked child: it inherits the parent's open SQLite
    handle, and in WAL mode that inherited handle kept an old snapshot, so
    the child did not see rows the tests wrote after its first request. A
    rollback journal has no snapshots to go stale. (The product itself runs
    in one process, where WAL is safe and lets readers overlap the engine.)
    """
    from django.conf import settings
    settings.DATABASES["default"].get("OPTIONS", {}).pop("init_command", None)


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker):
    """A forked daphne on the file test database, serving static files too."""
    import asgiref.sync
    from channels.testing.live import make_application, set_database_connection
    from daphne.testing import DaphneProcess
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    # A fresh executor: one inherited through fork has a dead worker thread.
    asgiref.sync.SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)
    from fcm.server.loop import start_on_daphne_loop

    proc = DaphneProcess("127.0.0.1", partial(make_application, static_wrapper=ASGIStaticFilesHandler),
                         setup=set_database_connection, kwargs={"ready_callable": start_on_daphne_loop})
    with django_db_blocker.unblock():
        proc.start()
        if not proc.ready.wait(30):
            raise RuntimeError("daphne did not start")
    yield f"http://127.0.0.1:{proc.port.value}"
    proc.terminate()
    proc.join()


def watch_csp(page):
    """Collect the page's Content-Security-Policy violations (the browser reports them on the console)."""
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return violations


@pytest.fixture
def page(page):
    """Every browser test's page fails the test if anything on it broke the Content-Security-Policy."""
    violations = watch_csp(page)
    yield page
    assert not violations, violations


@pytest.fixture
def demo_labs(transactional_db):
    from django.core.management import call_command
    call_command("loadlab", "--demo", verbosity=0)


@pytest.fixture
def signed_in(page, live_server_url, demo_labs):
    """A page signed in through the one-time link, as `make run` prints it."""
    from fcm.inventory import owners
    from fcm.inventory.models import LoginToken
    token = LoginToken.issue(owners.administrator())
    page.goto(f"{live_server_url}/login/{token}/")
    return page


@pytest.fixture
def second_console(browser, live_server_url, signed_in):
    """Another browser signed in on its own: a second console of the same labs."""
    from fcm.inventory import owners
    from fcm.inventory.models import LoginToken
    page = browser.new_context(viewport={"width": 1280, "height": 760}).new_page()
    violations = watch_csp(page)
    page.goto(f"{live_server_url}/login/{LoginToken.issue(owners.administrator())}/")
    yield page
    assert not violations, violations


@pytest.fixture
def shot(request):
    """shot(page, name): save a screenshot under var/screenshots/ when SCREENSHOTS=1."""
    def take(page, name):
        if os.environ.get("SCREENSHOTS") == "1":
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            # caret="initial": no style injected to hide the caret (the page's CSP would report it)
            page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), caret="initial")
    return take


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing browser test leaves a screenshot of where it was."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "page" in item.funcargs:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        try:
            item.funcargs["page"].screenshot(path=str(SCREENSHOT_DIR / f"FAILED-{item.name}.png"), caret="initial")
        except Exception:  # the page may be gone; the report matters more
            pass
