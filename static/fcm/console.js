/* Console behaviour htmx does not cover: row selection highlight, the
   right-click menu (a copy of the Actions pane's group for the selected
   row), the Action menu, pane toggles, dialogs and history buttons. */
(function () {
  "use strict";

  function consoleEl() { return document.getElementById("console"); }

  /* Show/Hide Console Tree and Action Pane survive navigation. */
  function applyPanePrefs() {
    var el = consoleEl();
    if (!el) return;
    ["tree", "actions"].forEach(function (pane) {
      el.classList.toggle("hide-" + pane, sessionStorage.getItem("fcm-hide-" + pane) === "1");
    });
  }

  function openDialogs(root) {
    (root || document).querySelectorAll("dialog[data-open-on-load]").forEach(function (d) {
      if (!d.open) d.showModal();
      var invalid = d.querySelector("[aria-invalid=true]");
      if (invalid) invalid.focus();
    });
  }

  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) { if (d !== except) d.open = false; });
    hideContextMenu();
  }

  /* Menu entries are buttons that click the real action, so an entry can
     never do anything the Actions pane would not. */
  function menuEntries(group, target) {
    target.textContent = "";
    var links = group ? group.querySelectorAll(".action") : [];
    var simulating = false;
    links.forEach(function (original) {
      if (!simulating && original.closest(".fault-action")) {
        simulating = true;  // the simulator's controls come last, under their own heading
        var heading = document.createElement("div");
        heading.className = "menu-heading";
        heading.setAttribute("role", "separator");
        heading.textContent = "Simulate";
        target.appendChild(heading);
      }
      var entry = document.createElement("button");
      entry.type = "button";
      entry.setAttribute("role", "menuitem");
      entry.innerHTML = original.innerHTML;
      entry.addEventListener("click", function () { closeMenus(); original.click(); });
      target.appendChild(entry);
    });
    return links.length;
  }

  var menu = null;
  /* Its position is set through the CSSOM (which the Content-Security-Policy allows); dropped when it
     hides so that no page snapshot (htmx history) carries a style attribute the policy would refuse. */
  function hideContextMenu() { if (menu) { menu.hidden = true; menu.removeAttribute("style"); } }
  document.addEventListener("htmx:beforeHistorySave", hideContextMenu);

  function showContextMenu(x, y) {
    menu = document.getElementById("context-menu");
    if (!menu) return;
    var group = document.querySelector("#actions .action-group-selected");
    if (!menuEntries(group, menu)) return;
    menu.hidden = false;
    var w = menu.offsetWidth, h = menu.offsetHeight;
    menu.style.left = Math.min(x, window.innerWidth - w - 4) + "px";
    menu.style.top = Math.min(y, window.innerHeight - h - 4) + "px";
    var first = menu.querySelector("button");
    if (first) first.focus();
  }

  document.addEventListener("contextmenu", function (ev) {
    var row = ev.target.closest("tr[data-row]");
    if (!row) return;
    ev.preventDefault();
    closeMenus();
    var x = ev.clientX, y = ev.clientY;
    if (row.classList.contains("selected") && document.querySelector("#actions .action-group-selected")) {
      showContextMenu(x, y);
      return;
    }
    /* The details (and the Actions pane) come back for this row: then show. */
    function settled(e) {
      var cfg = e.detail && e.detail.requestConfig;
      if (!cfg || cfg.elt !== row) return;
      document.removeEventListener("htmx:afterSettle", settled);
      showContextMenu(x, y);
    }
    document.addEventListener("htmx:afterSettle", settled);
    htmx.trigger(row, "click");
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") closeMenus();
    if (menu && !menu.hidden && (ev.key === "ArrowDown" || ev.key === "ArrowUp")) {
      var items = Array.prototype.slice.call(menu.querySelectorAll("button"));
      var i = items.indexOf(document.activeElement);
      var next = items[(i + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % items.length];
      if (next) { next.focus(); ev.preventDefault(); }
    }
  });

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t.closest("#context-menu") && !t.closest("details.menu")) closeMenus();
    var hist = t.closest("[data-history]");
    if (hist) { hist.dataset.history === "back" ? history.back() : history.forward(); return; }
    var toggle = t.closest("[data-toggle-pane]");
    if (toggle) {
      var key = "fcm-hide-" + toggle.dataset.togglePane;
      sessionStorage.setItem(key, sessionStorage.getItem(key) === "1" ? "0" : "1");
      applyPanePrefs();
      closeMenus();
      return;
    }
    if (t.closest("[data-refresh]")) {
      htmx.ajax("GET", location.pathname + location.search, { target: "#console", swap: "outerHTML" });
      return;
    }
    var opener = t.closest("[data-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.dataset.dialog);
      if (dialog) { closeMenus(); dialog.showModal(); }
      return;
    }
    var adder = t.closest("[data-add-name]");
    if (adder) {
      var box = document.querySelector(adder.dataset.target);
      var names = box.value.split(/[,;]/).map(function (n) { return n.trim(); }).filter(Boolean);
      if (names.indexOf(adder.dataset.addName) < 0) names.push(adder.dataset.addName);
      box.value = names.join(", ");
      return;
    }
    var mover = t.closest("[data-move-row]");
    if (mover) {
      var row = mover.closest("tr");
      var sibling = mover.dataset.moveRow === "-1" ? row.previousElementSibling : row.nextElementSibling;
      if (sibling) row.parentNode.insertBefore(row, mover.dataset.moveRow === "-1" ? sibling : sibling.nextSibling);
      return;
    }
    var copier = t.closest("[data-copy]");
    if (copier) {
      var text = document.querySelector(copier.dataset.copy).textContent;
      if (navigator.clipboard) navigator.clipboard.writeText(text);
      copier.textContent = "Copied";
      return;
    }
    var closer = t.closest("[data-close-dialog]");
    if (closer) { closer.closest("dialog").close(); }
  });

  /* A category checkbox of Test Selection ticks or clears its tests. */
  document.addEventListener("change", function (ev) {
    if (!ev.target.matches("[data-check-group]")) return;
    ev.target.closest("fieldset").querySelectorAll("input[name=tests]").forEach(function (box) {
      box.checked = ev.target.checked;
    });
  });

  /* A wizard closed (Finish or Cancel): the dialog goes, the console shows what changed. */
  document.body.addEventListener("wizardClosed", function () {
    var host = document.getElementById("dialog-host");
    if (host) host.textContent = "";
    if (document.getElementById("console")) {
      resync();
    } else if (document.querySelector(".wizard-standalone-note a")) {
      location.href = document.querySelector(".wizard-standalone-note a").href;
    }
  });

  /* A fetched dialog leaves the page once closed (else the next settle would open it again).
     "close" does not bubble: listen in the capture phase. */
  document.addEventListener("close", function (ev) {
    if (ev.target.id === "action-dialog" || ev.target.id === "wizard-dialog") ev.target.remove();
  }, true);

  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (!(d instanceof HTMLDetailsElement) || !d.open) return;
    closeMenus(d);
    var list = d.querySelector("[data-copy-of=actions]");
    if (list) {
      list.textContent = "";
      document.querySelectorAll("#actions .action-group").forEach(function (group) {
        var h = document.createElement("h3");
        h.textContent = group.querySelector("h2").textContent;
        list.appendChild(h);
        var box = document.createElement("div");
        menuEntries(group, box);
        while (box.firstChild) list.appendChild(box.firstChild);
      });
    }
  }, true);

  /* Enter on a focused row selects it, as a click does (in script, not an htmx trigger filter: the
     Content-Security-Policy allows no eval). */
  document.addEventListener("keyup", function (ev) {
    var row = ev.key === "Enter" && ev.target.closest && ev.target.closest("tr[data-row]");
    if (row) row.click();
  });

  /* A click on something a push has just put in the page (a row, an Actions group) must not be lost:
     htmx attaches an element's hx-get / hx-post only when the swap settles, a few milliseconds after
     it is inserted, and pushes replace rows and groups several times a second. Processing it here,
     before the click reaches it, is a no-op for an element htmx has already processed. */
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest && ev.target.closest("[hx-get],[hx-post]");
    if (el) htmx.process(el);
  }, true);

  /* Ctrl+click adds a row to the selection, Shift+click a range: several
     roles then show their shared actions (move them in one action). */
  var anchorRow = null;
  document.addEventListener("click", function (ev) {
    var row = ev.target.closest("tr[data-row]");
    if (!row) return;
    var table = row.closest("table[data-multi-url]");
    if (!table || !(ev.ctrlKey || ev.metaKey || ev.shiftKey)) { anchorRow = row; return; }
    ev.preventDefault();
    ev.stopPropagation();
    var rows = Array.prototype.slice.call(table.querySelectorAll("tr[data-row]"));
    if (ev.shiftKey && anchorRow && rows.indexOf(anchorRow) >= 0) {
      var a = rows.indexOf(anchorRow), b = rows.indexOf(row);
      rows.forEach(function (r, i) { r.classList.toggle("selected", i >= Math.min(a, b) && i <= Math.max(a, b)); });
    } else {
      row.classList.toggle("selected");
      anchorRow = row;
    }
    var ids = rows.filter(function (r) { return r.classList.contains("selected"); })
      .map(function (r) { return r.dataset.pk; });
    if (ids.length === 1) {
      htmx.trigger(table.querySelector('tr[data-pk="' + ids[0] + '"]'), "click");
    } else if (ids.length > 1) {
      htmx.ajax("GET", table.dataset.multiUrl + "?ids=" + ids.join(","), { target: "#selection", swap: "innerHTML" });
    }
  }, true);

  /* A clicked row looks selected at once, before its details arrive. */
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var row = ev.detail.elt;
    if (!row || !row.matches || !row.matches("tr[data-row]")) return;
    row.parentElement.querySelectorAll("tr.selected").forEach(function (r) { r.classList.remove("selected"); });
    row.classList.add("selected");
  });

  /* The status bar clock runs between pushes: sim time advances at the
     lab's speed from the moment the server rendered it. */
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function winTime(d) {
    var h = d.getUTCHours() % 12 || 12;
    return (d.getUTCMonth() + 1) + "/" + d.getUTCDate() + "/" + d.getUTCFullYear() + " " + h + ":" +
      pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + " " + (d.getUTCHours() < 12 ? "AM" : "PM");
  }
  function tickClock() {
    var el = document.getElementById("lab-clock");
    if (!el || !el.dataset.simNow) return;
    if (el._rendered === undefined) { el._rendered = performance.now(); el._sim = Date.parse(el.dataset.simNow); }
    var speed = parseFloat(el.dataset.speed) || 0;
    var now = el._sim + (performance.now() - el._rendered) * speed;
    var out = el.querySelector(".clock-time");
    if (out) out.textContent = winTime(new Date(now));
    /* Hyper-V Manager's Uptime column runs with the lab's clock too: 'd.hh:mm:ss', or 'hh:mm:ss' under a day. */
    document.querySelectorAll("[data-uptime-since]").forEach(function (cell) {
      var s = Math.max(0, Math.floor((now - Date.parse(cell.dataset.uptimeSince)) / 1000));
      var days = Math.floor(s / 86400), rest = pad(Math.floor(s % 86400 / 3600)) + ":" +
        pad(Math.floor(s % 3600 / 60)) + ":" + pad(s % 60);
      cell.textContent = days ? days + "." + rest : rest;
    });
  }
  setInterval(tickClock, 1000);

  /* New events in the cluster whose event list is open, disks added to the cluster whose Disks list is
     open, or a VM that came to or left the server whose Virtual Machines list is open: list them again (table rows cannot travel in a pushed message without breaking its parse). */
  document.addEventListener("htmx:oobAfterSwap", function (ev) {
    var target = ev.detail && ev.detail.target;
    var stale = target && target.id && (target.id.indexOf("events-stale-") === 0 || target.id.indexOf("disks-stale-") === 0 ||
                                        target.id.indexOf("vms-stale-") === 0);
    if (stale && document.getElementById("console")) {
      resync();
    }
  });

  /* A pushed pane that lists selectable items (Hyper-V Manager's Checkpoints) is the same for every console:
     each console keeps the item it had selected. */
  document.addEventListener("htmx:oobBeforeSwap", function (ev) {
    var t = ev.detail && ev.detail.target;
    if (!t || !t.hasAttribute || !t.hasAttribute("data-keep-selection")) return;
    var sel = t.querySelector("[data-row].selected");
    keptSelection[t.id] = sel ? sel.dataset.pk : null;
  });
  document.addEventListener("htmx:oobAfterSwap", function (ev) {
    var t = ev.detail && ev.detail.target, pk = t && keptSelection[t.id];
    if (!pk) return;
    var el = document.getElementById(t.id), row = el && el.querySelector('[data-row][data-pk="' + pk + '"]');
    if (row) row.classList.add("selected");
  });
  var keptSelection = {};

  /* A pushed Actions group identical to the one shown is not swapped: a click on it must not land on
     a node that is being replaced (pushes follow every change of the role, often without changing it). */
  document.addEventListener("htmx:oobBeforeSwap", function (ev) {
    var d = ev.detail, incoming = d.fragment && d.fragment.firstElementChild;
    if (!incoming || !d.target || !d.target.id || d.target.id.indexOf("actions-") !== 0) return;
    if (incoming.id === d.target.id && incoming.innerHTML === d.target.innerHTML) d.shouldSwap = false;
  });

  /* htmx drops the answer to a request whose element has left the page meanwhile: an action clicked
     just before a push replaced its Actions group (or a row) would open nothing. So a pushed element
     that holds an element waiting for its answer waits too, and is put in once the answer has been
     swapped, unless that answer (or a later push) replaced the element first: the newest wins. */
  var waiting = new Set();   /* elements whose request is in flight */
  var held = {};             /* target id -> the pushed HTML held back, with its swap style */
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var elt = ev.detail.elt, xhr = ev.detail.xhr;
    if (!elt || !xhr) return;
    waiting.add(elt);
    xhr.addEventListener("loadend", function () {
      waiting.delete(elt);
      if (resyncWanted && !consoleBusy()) { resyncWanted = false; setTimeout(resync, 0); }
      Object.keys(held).forEach(function (id) {
        var h = held[id];
        if (h.until !== elt) return;
        delete held[id];
        if (document.getElementById(id)) htmx.swap("#" + id, h.html, { swapStyle: "outerHTML" });
      });
    });
  });
  document.addEventListener("htmx:oobBeforeSwap", function (ev) {
    var d = ev.detail, target = d.target;
    if (!d.shouldSwap || !target || !target.id || !d.fragment || !d.fragment.firstElementChild) return;
    var blocked = null;
    waiting.forEach(function (elt) { if (!blocked && target !== elt && target.contains(elt)) blocked = elt; });
    if (!blocked) { delete held[target.id]; return; }  /* this swap is newer than anything held */
    d.shouldSwap = false;
    held[target.id] = { html: d.fragment.firstElementChild.outerHTML, until: blocked };
  });

  /* The first socket of a page: a push sent after the page was rendered and before the
     socket joined its lab was missed; the server says when it last pushed. */
  document.addEventListener("htmx:oobAfterSwap", function (ev) {
    var target = ev.detail && ev.detail.target;
    var win = document.querySelector(".window[data-rendered]");
    if (!target || target.id !== "lab-sync" || !win || !document.getElementById("console")) return;
    var sync = document.getElementById("lab-sync");  /* the event's target is the element it replaced */
    if (sync && parseFloat(sync.dataset.changed || "0") > parseFloat(win.dataset.rendered || "0")) {
      win.dataset.rendered = String(Date.now() / 1000);
      resync();
    }
  });

  /* List what this tab shows again; dropped if the user navigated meanwhile (a newer listing wins). */
  var navigations = 0;
  /* A relisting that lands while a click in the console waits for its answer would replace the element
     clicked, and htmx would drop that answer (the tree item clicked, the console stays where it was): it
     waits for the console's requests to end, then lists what the tab shows by then. */
  var resyncWanted = false;
  function consoleBusy() {
    var el = document.getElementById("console"), busy = false;
    waiting.forEach(function (elt) { if (el && el.contains(elt)) busy = true; });
    return busy;
  }
  function resync() {
    if (consoleBusy()) { resyncWanted = true; return; }
    htmx.ajax("GET", location.pathname + location.search, {
      target: "#console", swap: "outerHTML", headers: { "X-FCM-Resync": String(navigations) } });
  }
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var headers = ev.detail.requestConfig && ev.detail.requestConfig.headers;
    if (!(headers && headers["X-FCM-Resync"]) && ev.detail.requestConfig.verb === "get") navigations += 1;
  });
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var headers = ev.detail.requestConfig && ev.detail.requestConfig.headers;
    var issuedAt = headers && headers["X-FCM-Resync"];
    if (issuedAt && (Number(issuedAt) !== navigations ||
                     ev.detail.requestConfig.path !== location.pathname + location.search)) {
      ev.detail.shouldSwap = false;
    }
  });

  /* A relisting of a selection that is gone (the VM moved to another server, the checkpoint was deleted by
     someone else) is a 404: the tab lists the selection's parent instead (its URL without the trailing
     "<kind>/<id>/"), as the product's consoles drop a selection that no longer exists. */
  document.addEventListener("htmx:responseError", function (ev) {
    var cfg = ev.detail.requestConfig, headers = cfg && cfg.headers;
    if (!(headers && headers["X-FCM-Resync"]) || ev.detail.xhr.status !== 404) return;
    var parent = location.pathname.replace(/[^\/]+\/[0-9]+\/$/, "");
    if (parent === location.pathname || !document.getElementById("console")) return;
    history.replaceState(history.state, "", parent);
    resync();
  });

  /* A navigation's answer was rendered before a push that reached this tab ahead of it: the push
     changed the old page and is lost with it. List the page again, once (the commit stamp of each
     push and the render time of each page are the server's clock). */
  var lastPush = 0;
  document.addEventListener("htmx:wsBeforeMessage", function (ev) {
    var m = /fcm-commit ([0-9.]+)/.exec(ev.detail.message || "");
    if (m) lastPush = Math.max(lastPush, parseFloat(m[1]));
  });
  document.addEventListener("htmx:afterSwap", function (ev) {
    var el = document.getElementById("console");
    var headers = ev.detail.requestConfig && ev.detail.requestConfig.headers;
    if (!el || !ev.detail.target || ev.detail.target.id !== "console" || (headers && headers["X-FCM-Resync"])) return;
    if (lastPush > parseFloat(el.dataset.rendered || "Infinity")) resync();
  });

  /* A socket that opens again (server restart, Redis back, network blip) missed
     pushes: re-render what this tab shows (a console, or a trainer's table of trainees). */
  var socketOpens = 0;
  document.addEventListener("htmx:wsOpen", function () {
    socketOpens += 1;
    if (socketOpens < 2) return;
    if (document.getElementById("console")) {
      var win = document.querySelector(".window[data-rendered]");
      if (win) win.dataset.rendered = String(Date.now() / 1000);
      resync();
    } else if (document.getElementById("trainees")) {
      htmx.ajax("GET", location.pathname, { target: "#trainees", select: "#trainees", swap: "outerHTML" });
    }
  });

  /* A socket closed for access (signed out, removed from the lab's members, the training session
     ended, the lab removed: fcm/live/revoke.py) is not reconnected by htmx after this code; the page
     says why, stops offering actions, and offers the reload that shows what the user may see now. */
  var CLOSED_FOR_ACCESS = 4403, accessReason = "", accessNext = "";
  document.addEventListener("htmx:wsBeforeMessage", function (ev) {
    var m = /<!--fcm-access-closed (?:next=(\/\S*) )?([^>]*)-->/.exec(ev.detail.message || "");
    if (m) { accessNext = m[1] || ""; accessReason = m[2]; }
  });
  document.addEventListener("htmx:wsClose", function (ev) {
    var closed = ev.detail && ev.detail.event;
    if (!closed || closed.code !== CLOSED_FOR_ACCESS || document.getElementById("access-closed")) return;
    var win = ev.target.closest ? ev.target.closest(".window") : null;
    var banner = document.createElement("div");
    banner.id = "access-closed";
    banner.className = "banner access-closed";
    banner.setAttribute("role", "alert");
    var text = document.createElement("span");
    text.textContent = closed.reason || accessReason || "You no longer have access to this page. Reload the page.";
    var reload = document.createElement("button");
    reload.type = "button";
    reload.textContent = accessNext ? "Open the list of labs" : "Reload";
    reload.addEventListener("click", function () {
      if (accessNext) location.assign(accessNext); else location.reload();
    });
    banner.appendChild(text);
    banner.appendChild(reload);
    var menubar = win && win.querySelector(".menubar");
    if (menubar) menubar.after(banner); else (win || document.body).prepend(banner);
    if (win) win.classList.add("read-only");
  });

  document.addEventListener("htmx:beforeHistorySave", function () {
    hideContextMenu();
    document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(); });
  });
  document.addEventListener("htmx:afterSettle", function (ev) { applyPanePrefs(); openDialogs(ev.target); });
  document.addEventListener("htmx:historyRestore", function () { applyPanePrefs(); });
  document.addEventListener("DOMContentLoaded", function () { applyPanePrefs(); openDialogs(document); });
})();

/* Training: the exercise timer and the dashboard's idle times count between pushes. */
(function () {
  function minutes(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
    return (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (sec < 10 ? "0" : "") + sec;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-timer-start]").forEach(function (el) {
      var end = el.dataset.timerEnd ? Date.parse(el.dataset.timerEnd) : now;
      el.textContent = minutes(end - Date.parse(el.dataset.timerStart));
    });
    document.querySelectorAll("[data-since]").forEach(function (el) {
      el.textContent = minutes(now - Date.parse(el.dataset.since));
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
})();
