// The status page's behaviour: filter the resource table, and follow /events to swap in the newest
// report when a pass ends, keeping the filters, the open rows and the focus. The page works
// without this script; nothing here changes anything on the server.
"use strict";

(function () {
  const main = document.getElementById("main");
  const live = document.getElementById("live");

  function value(id) {
    const el = document.getElementById(id);
    return el ? el.value : "";
  }

  function filter() {
    const status = value("filter-status");
    const kind = value("filter-kind");
    const name = value("filter-name").trim().toLowerCase();
    const rows = document.querySelectorAll("#resources tbody > tr[data-id]");
    let shown = 0;
    for (const row of rows) {
      const visible =
        (!status || row.dataset.status === status) &&
        (!kind || row.dataset.kind === kind) &&
        (!name || row.dataset.name.includes(name));
      row.hidden = !visible;
      if (visible) shown += 1;
    }
    const out = document.getElementById("shown");
    if (out) out.textContent = shown + " of " + rows.length + " shown";
  }

  main.addEventListener("input", filter);
  main.addEventListener("change", filter);
  main.addEventListener("submit", (e) => e.preventDefault());

  // Swaps in a new fragment, keeping what the reader set: filters, open rows, focus.
  function swap(html) {
    const kept = {
      status: value("filter-status"),
      kind: value("filter-kind"),
      name: value("filter-name"),
    };
    const open = new Set(
      Array.from(document.querySelectorAll("details[open]")).map((d) => d.dataset.id)
    );
    const focused = document.activeElement && document.activeElement.id;
    main.innerHTML = html;
    for (const [id, v] of [
      ["filter-status", kept.status],
      ["filter-kind", kept.kind],
      ["filter-name", kept.name],
    ]) {
      const el = document.getElementById(id);
      if (el) el.value = v;
    }
    for (const d of document.querySelectorAll("details[data-id]")) {
      if (open.has(d.dataset.id)) d.open = true;
    }
    if (focused) {
      const el = document.getElementById(focused);
      if (el) el.focus();
    }
    filter();
  }

  let fetching = false;
  let again = false;
  async function refresh() {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    try {
      do {
        again = false;
        const answer = await fetch("ui/fragment", { cache: "no-store" });
        if (answer.ok) {
          swap(await answer.text());
          live.textContent = "Updated " + new Date().toLocaleTimeString();
        }
      } while (again);
    } catch (e) {
      live.textContent = "Could not refresh: " + e.message;
    } finally {
      fetching = false;
    }
  }

  if (window.EventSource) {
    const events = new EventSource("events");
    events.addEventListener("report", refresh);
    events.addEventListener("error", () => {
      live.textContent = "Live updates paused; retrying…";
    });
    events.addEventListener("open", () => {
      live.textContent = "Live";
    });
  }
  filter();
})();
