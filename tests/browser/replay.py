"""Replaying an exercise's `[[solution]]` through the console, by what the page shows.

A step names visible labels (docs/training.md), never selectors: the replayer
finds, in the open dialog if there is one and otherwise in the console, the
element whose visible words are the label (an Action with its menu path, a
tree item, a tab, a list row by one of its cells, a button or link, a form
control by its label) and acts on it as a person would, through Playwright.
Nothing here knows an exercise: a solution that names a label the console of
that version does not show fails, which is the point.

Waiting is Playwright's and the page's own: every lookup polls until the
label is there (a wizard's Finish appears when its operation ends), and after
each action the replayer waits until htmx has no request in flight.
"""
import json
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "var" / "screenshots"

#: Counts htmx requests in flight; installed before any page script runs. Each request counts once,
#: until it has ended (htmx:afterRequest, which every request reaches: swapped, refused, aborted or one
#: that swaps nothing) and its swap has settled (afterSettle, or a moment after the end).
INFLIGHT = """{
window.__replayInflight = 0;
const replayLive = new Set();
const replayDone = (xhr) => { if (replayLive.delete(xhr)) window.__replayInflight = replayLive.size; };
document.addEventListener('htmx:beforeRequest', (e) => {
  replayLive.add(e.detail.xhr); window.__replayInflight = replayLive.size; }, true);
document.addEventListener('htmx:afterSettle', (e) => replayDone(e.detail.xhr), true);
document.addEventListener('htmx:afterRequest', (e) => { const xhr = e.detail.xhr; setTimeout(() => replayDone(xhr), 30); },
                          true);
}"""

#: Finds the element a label names and tags it with data-replay; returns how many labels it used.
FIND = """
([labels, kind, mark]) => {
  const words = (el) => (el.innerText || el.textContent || '').replace(/\\s+/g, ' ').trim();
  const bare = (text) => text.replace(/[:\\s]+$/, '').trim();
  // A label ending in '*' names what begins with the rest (a checkpoint named after the time it was taken).
  const same = (text, label) => label.endsWith('*') ? text.startsWith(label.slice(0, -1)) : text === label;
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
      && getComputedStyle(el).visibility !== 'hidden';
  const dialogs = [...document.querySelectorAll('dialog[open]')].filter(visible);
  const scope = dialogs.length ? dialogs[dialogs.length - 1] : document;
  const all = (selector) => [...scope.querySelectorAll(selector)].filter(visible);
  const tag = (el) => { document.querySelectorAll('[data-replay]').forEach(e => e.removeAttribute('data-replay'));
                        el.setAttribute('data-replay', mark); };
  const label = labels[0];
  const control = (match) => {
    for (const l of all('label')) {
      if (bare(words(l)) !== bare(label)) continue;
      const el = l.htmlFor ? document.getElementById(l.htmlFor) : l.querySelector('input, select, textarea');
      if (el && match(el)) return el;
    }
    return all('input, select, textarea').find(el => match(el) && bare(el.getAttribute('aria-label') || '') === bare(label));
  };
  if (kind === 'type') {
    const el = control(el => el.matches('input:not([type=checkbox]):not([type=radio]), textarea'));
    if (el) { tag(el); return 1; }
    return 0;
  }
  if (kind === 'check') {
    const el = control(el => el.matches('input[type=checkbox]'));
    if (el) { tag(el); return 1; }
    return 0;
  }
  if (kind === 'radio') {
    const el = control(el => el.matches('input[type=radio]'));
    if (el) { tag(el); return 1; }
    return 0;
  }
  if (kind === 'select') {
    const el = control(el => el.matches('select'));
    if (el) { tag(el); return 1; }
    return 0;
  }
  // An Action, named by its menu path then its label: the selected object's group first.
  if (scope === document) {
    const actions = [...document.querySelectorAll('#actions .action-group-selected .action'),
                     ...document.querySelectorAll('#actions .action')].filter(visible);
    let best = null, used = 0;
    for (const a of actions) {
      const parts = words(a).split('\u203a').map(p => p.trim()).filter(Boolean);
      if (parts.length > used && parts.every((p, i) => labels[i] === p)) { best = a; used = parts.length; }
    }
    // Its menu path already said (a tab of the same name took the first label): the label alone.
    if (!best) best = actions.find(a => words(a).includes('\u203a') && words(a).split('\u203a').pop().trim() === label);
    if (best) { tag(best); return used || 1; }
    const tree = [...document.querySelectorAll('.tree a')].filter(visible).find(a => same(words(a), label));
    if (tree) { tag(tree); return 1; }
  }
  const tab = all('.tab, [role=tab]').find(t => words(t) === label);
  if (tab) { tag(tab); return 1; }
  const button = all('button, a, input[type=submit], input[type=button], summary')
      .find(b => same(words(b) || b.value || '', label) || bare(b.getAttribute('aria-label') || '') === label);
  if (button) { tag(button); return 1; }
  const row = all('tbody tr').find(tr => [...tr.cells].some(td => same(words(td), label)));
  if (row) { tag(row); return 1; }
  const item = all('label').find(l => bare(words(l)) === bare(label));
  if (item) { tag(item); return 1; }
  return 0;
}
"""


class ReplayError(AssertionError):
    pass


class Replayer:
    """Plays solution steps on one page; `timeout_ms` bounds each wait for a label to appear."""

    def __init__(self, page, timeout_ms=240_000):
        self.page, self.timeout_ms, self.marks = page, timeout_ms, 0
        page.add_init_script(INFLIGHT)
        page.set_default_timeout(timeout_ms)

    #: How long settle() waits for htmx to go idle: a lab whose clock runs fast redraws the console
    #: all the time, and the next lookup waits for its label anyway.
    settle_ms = 10_000

    def settle(self):
        self.page.wait_for_load_state()
        try:
            self.page.wait_for_function("() => !window.__replayInflight", timeout=min(self.timeout_ms, self.settle_ms))
        except PlaywrightTimeoutError:
            pass

    def find(self, labels, kind="click"):
        """Wait for the element the first label(s) name; returns (locator, labels used)."""
        self.marks += 1
        mark = str(self.marks)
        try:
            handle = self.page.wait_for_function(f"(args) => ({FIND})(args) || null", arg=[labels, kind, mark],
                                                 timeout=self.timeout_ms, polling=100)
        except Exception as exc:  # Playwright's TimeoutError: say what was looked for, and where
            shown = self.page.evaluate("() => (document.querySelector('dialog[open] .wizard-page') || "
                                       "document.querySelector('dialog[open]') || document.body).innerText.slice(0, 2000)")
            raise ReplayError(f"no visible {kind} target for {labels!r} within {self.timeout_ms} ms; "
                              f"the page shows:\n{shown}") from exc
        return self.page.locator(f'[data-replay="{mark}"]'), handle.json_value()

    def click(self, labels, attempts=5):
        """Click what the first label(s) name; a push may redraw it meanwhile, then it is found again."""
        for attempt in range(attempts):
            target, used = self.find(labels)
            try:
                target.click(timeout=5_000)
            except Exception:  # detached or covered while a push redrew the pane: look again
                if attempt == attempts - 1:
                    raise
                continue
            self.settle()
            return used

    def wait_scope(self, path):
        """Where a wait looks: the list row named by the path's last label, the open dialog, or the page."""
        if path:
            return self.page.locator("tbody tr:visible").filter(
                has=self.page.get_by_role("cell", name=path[-1], exact=True)).first
        dialog = self.page.locator("dialog[open]")
        return dialog.last if dialog.count() else self.page.locator("body")

    def step(self, step):
        do, path, value = step["do"], list(step["path"]), step.get("value")
        if do == "wait":
            expect(self.wait_scope(path)).to_contain_text(value, timeout=self.timeout_ms)
            return
        clicks = path if do == "click" else path[:-1]
        i = 0
        while i < len(clicks):
            i += self.click(clicks[i:])
        if do == "click":
            return
        field = path[-1]
        if do == "type":
            target, _ = self.find([field], "type")
            target.fill(value)
        elif do == "check":
            target, _ = self.find([field], "check")
            target.set_checked(bool(value))
        elif do == "choose":
            select = self.page.evaluate(f"(args) => ({FIND})(args)", [[field], "select", "probe"])
            if select:
                self.page.locator('[data-replay="probe"]').select_option(label=value)
            else:
                target, _ = self.find([value], "radio")
                target.check()
        self.settle()

    def play(self, steps, name="replay"):
        for n, step in enumerate(steps, start=1):
            try:
                self.step(step)
            except Exception as exc:
                SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
                self.page.screenshot(path=str(SCREENSHOT_DIR / f"FAILED-{name}-step-{n}.png"), caret="initial")
                raise ReplayError(f"step {n} {json.dumps(step)}: {exc}") from None
