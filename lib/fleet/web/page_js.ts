/**
 * The fleet page's script (plain browser JavaScript, no build step): asks for a token once
 * (kept in sessionStorage), follows `/fleet/api/events` (server-sent events read through
 * fetch, so the token travels in the Authorization header and never in a URL), renders the
 * hierarchy as a keyboard-navigable tree, the table with filters, and the selected cluster.
 */
export const PAGE_JS = String.raw`"use strict";
(function () {
  var KEY = "lattice-fleet-token";
  var rows = new Map();
  var expanded = new Set();
  var collapsed = new Set();
  var selected = null;
  var cellName = "";
  var truncated = 0, hidden = 0;
  var abort = null;
  var scheduled = false;
  var firstRender = true;
  var changed = new Set();
  var full = true;
  var tableKey = "";
  var tableRows = new Map();
  window.__fleet = { deltas: 0, lastDeltaAt: 0, renderedAt: 0, appliedAt: {} };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  var GLYPH = { Ready: "\u2714", Failed: "\u2716", Provisioning: "\u25D4", Pivoting: "\u21C4", Pending: "\u2026", Deleting: "\u2212" };
  function phaseBadge(r) {
    var phase = r.phase || "Unknown";
    var b = el("span", { cls: "badge phase phase-" + phase }, [(GLYPH[phase] || "?") + " " + phase]);
    return b;
  }
  function age(ms) {
    if (!ms) return "\u2013";
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 90) return s + "s ago";
    if (s < 5400) return Math.round(s / 60) + "m ago";
    return Math.round(s / 3600) + "h ago";
  }
  function agentText(r) {
    if (r.name === cellName) return "this cell";
    if (r.stale) return "stale (link down above)";
    return r.connected ? "connected" : "disconnected";
  }

  function token() { return sessionStorage.getItem(KEY); }
  function showLogin(message) {
    $("login").hidden = false; $("fleet").hidden = true; $("logout").hidden = true;
    $("login-error").textContent = message || "";
    setLink("Not connected", "");
    $("token").focus();
  }
  function setLink(text, cls) { var l = $("link"); l.textContent = text; l.className = "link " + cls; }

  function authHeaders() { return { authorization: "Bearer " + token() }; }

  function connect() {
    if (abort) abort.abort();
    abort = new AbortController();
    var signal = abort.signal;
    setLink("Connecting\u2026", "");
    fetch("/fleet/api/events", { headers: authHeaders(), signal: signal }).then(function (res) {
      if (res.status === 401 || res.status === 403) {
        return res.json().catch(function () { return {}; }).then(function (s) {
          sessionStorage.removeItem(KEY);
          showLogin((s && s.message) || "The token was refused.");
        });
      }
      if (!res.ok || !res.body) throw new Error("HTTP " + res.status);
      $("login").hidden = true; $("fleet").hidden = false; $("logout").hidden = false;
      setLink("Live", "live");
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buf = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) throw new Error("stream ended");
          buf += decoder.decode(chunk.value, { stream: true });
          var at;
          while ((at = buf.indexOf("\n\n")) >= 0) {
            var block = buf.slice(0, at); buf = buf.slice(at + 2);
            var ev = "message", data = "";
            block.split("\n").forEach(function (line) {
              if (line.indexOf("event: ") === 0) ev = line.slice(7);
              else if (line.indexOf("data: ") === 0) data += line.slice(6);
            });
            if (data) onEvent(ev, JSON.parse(data));
          }
          return pump();
        });
      }
      return pump();
    }).catch(function (err) {
      if (signal.aborted) return;
      setLink("Reconnecting\u2026", "down");
      setTimeout(function () { if (!signal.aborted && token()) connect(); }, 2000);
    });
  }

  function onEvent(type, data) {
    if (type === "snapshot") {
      rows.clear();
      data.clusters.forEach(function (r) { rows.set(r.name, r); });
      cellName = data.cell; truncated = data.truncated; hidden = data.hidden;
      if (rows.size > 200) rows.forEach(function (r) { if (r.parent && r.parent !== cellName) collapsed.add(r.name); });
      full = true;
    } else if (type === "delta") {
      data.upserts.forEach(function (r) {
        var before = rows.get(r.name);
        if (!before || before.parent !== r.parent) full = true;
        rows.set(r.name, r); changed.add(r.name);
        window.__fleet.appliedAt[r.name + "/" + r.phase] = Date.now();
      });
      data.removals.forEach(function (n) { if (rows.delete(n)) full = true; });
      truncated = data.truncated;
      window.__fleet.deltas++;
      window.__fleet.lastDeltaAt = data.at;
    }
    schedule();
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(function () { scheduled = false; render(); });
  }

  function childrenIndex() {
    var kids = new Map();
    rows.forEach(function (r) {
      if (!r.parent || !rows.has(r.parent) || r.name === cellName) return;
      if (!kids.has(r.parent)) kids.set(r.parent, []);
      kids.get(r.parent).push(r.name);
    });
    kids.forEach(function (l) { l.sort(); });
    return kids;
  }

  function renderTree(kids) {
    var tree = $("tree");
    var focused = document.activeElement && document.activeElement.getAttribute("data-name");
    tree.textContent = "";
    var roots = [];
    rows.forEach(function (r) { if (r.name === cellName || !r.parent || !rows.has(r.parent)) roots.push(r.name); });
    roots.sort(function (a, b) { return a === cellName ? -1 : b === cellName ? 1 : a < b ? -1 : 1; });
    var first = true;
    function item(name, level) {
      var r = rows.get(name);
      var children = kids.get(name) || [];
      var open = children.length > 0 && !collapsed.has(name);
      var li = el("li", { role: "treeitem", "data-name": name, "aria-level": String(level),
        "aria-selected": String(selected === name), tabindex: (selected ? selected === name : first) ? "0" : "-1" });
      first = false;
      if (children.length) li.setAttribute("aria-expanded", String(open));
      var label = el("span", { cls: "node" }, [
        el("span", { cls: "twisty", "aria-hidden": "true", text: children.length ? (open ? "\u25BE" : "\u25B8") : "" }),
        el("span", { cls: "name", text: name }),
        phaseBadge(r),
        el("span", { cls: "kind", text: (r.cell ? "cell" : "leaf") + (r.kubernetesVersion ? " \u00B7 v" + r.kubernetesVersion : "") }),
        r.stale ? el("span", { cls: "stale", text: "stale" }) : null,
        (!r.connected && r.name !== cellName && !r.stale) ? el("span", { cls: "stale", text: "disconnected" }) : null,
      ]);
      li.appendChild(label);
      if (open) {
        var ul = el("ul", { role: "group" });
        children.slice(0, 200).forEach(function (c) { ul.appendChild(item(c, level + 1)); });
        if (children.length > 200) ul.appendChild(el("li", { cls: "muted", text: "\u2026 " + (children.length - 200) + " more (use the table filters)" }));
        li.appendChild(ul);
      }
      return li;
    }
    roots.forEach(function (n) { tree.appendChild(item(n, 1)); });
    if (focused) { var f = tree.querySelector('[data-name="' + CSS.escape(focused) + '"]'); if (f) f.focus(); }
  }

  function fillSelect(id, values) {
    var s = $(id), cur = s.value;
    var want = [""].concat(Array.from(values).filter(Boolean).sort());
    if (s.options.length === want.length && want.every(function (v, i) { return s.options[i].value === v; })) return;
    s.textContent = "";
    want.forEach(function (v) { s.appendChild(el("option", { value: v, text: v || "all" })); });
    s.value = want.indexOf(cur) >= 0 ? cur : "";
  }

  function matches(r) {
    var p = $("f-phase").value, pr = $("f-provider").value, v = $("f-version").value;
    var label = $("f-label").value.trim(), name = $("f-name").value.trim();
    if (p && r.phase !== p) return false;
    if (pr && r.provider !== pr) return false;
    if (v && r.kubernetesVersion !== v) return false;
    if (name && r.name.indexOf(name) < 0) return false;
    if (label) {
      var eq = label.indexOf("=");
      var k = eq < 0 ? label : label.slice(0, eq), val = eq < 0 ? null : label.slice(eq + 1);
      if (!(k in r.labels)) return false;
      if (val !== null && r.labels[k] !== val) return false;
    }
    return true;
  }

  function tableRow(r) {
    return el("tr", { tabindex: "0", "data-name": r.name, "aria-selected": String(selected === r.name) }, [
      el("td", {}, [el("strong", { text: r.name })]),
      el("td", { text: r.parent || "\u2013" }),
      el("td", {}, [phaseBadge(r), r.stale ? el("span", { cls: "stale", text: " stale" }) : null]),
      el("td", { text: r.provider || "\u2013" }),
      el("td", { text: r.kubernetesVersion || "\u2013" }),
      el("td", { text: (r.fluxVersion || "\u2013") + (r.fluxHealthy === false ? " (unhealthy)" : "") }),
      el("td", { text: r.nodesTotal ? r.nodesReady + "/" + r.nodesTotal : "\u2013" }),
      el("td", { text: agentText(r) }),
      el("td", { "data-hb": String(r.lastHeartbeat || ""), text: age(r.lastHeartbeat) }),
      el("td", { text: r.services.join(", ") || "\u2013" }),
    ]);
  }

  function filterKey() {
    return [$("f-phase").value, $("f-provider").value, $("f-version").value, $("f-label").value, $("f-name").value, selected, rows.size].join("\u0000");
  }

  /** Replaces only the changed rows when nothing else moved; false when a rebuild is needed. */
  function patchTable() {
    if (full || filterKey() !== tableKey) return false;
    var ok = true;
    changed.forEach(function (name) {
      var r = rows.get(name), tr = tableRows.get(name);
      if (!r) { ok = false; return; }
      if (tr) {
        if (!matches(r)) { ok = false; return; }
        var next = tableRow(r);
        tr.replaceWith(next); tableRows.set(name, next);
      } else if (matches(r)) ok = false;
    });
    return ok;
  }

  function renderTable() {
    var phases = new Set(), providers = new Set(), versions = new Set();
    rows.forEach(function (r) { phases.add(r.phase); providers.add(r.provider); versions.add(r.kubernetesVersion); });
    fillSelect("f-phase", phases); fillSelect("f-provider", providers); fillSelect("f-version", versions);
    if (patchTable()) return;
    var body = $("rows");
    body.textContent = "";
    tableRows = new Map();
    var list = Array.from(rows.values()).filter(matches);
    var total = list.length;
    list.sort(function (a, b) { return a.name < b.name ? -1 : 1; });
    var shown = list.slice(0, 500);
    var frag = document.createDocumentFragment();
    shown.forEach(function (r) { var tr = tableRow(r); tableRows.set(r.name, tr); frag.appendChild(tr); });
    body.appendChild(frag);
    var note = shown.length < total ? "Showing " + shown.length + " of " + total + " matching clusters; refine the filters." : total + " of " + rows.size + " clusters match.";
    if (truncated) note += " " + truncated + " clusters beyond the fleet limits are not shown.";
    if (hidden) note += " " + hidden + " clusters are hidden by RBAC.";
    $("table-note").textContent = note;
    tableKey = filterKey();
  }

  function renderSummary() {
    var counts = {};
    var stale = 0;
    rows.forEach(function (r) { counts[r.phase] = (counts[r.phase] || 0) + 1; if (r.stale) stale++; });
    var parts = Object.keys(counts).sort().map(function (p) { return counts[p] + " " + p; });
    if (stale) parts.push(stale + " stale");
    $("summary").textContent = rows.size + " clusters: " + parts.join(", ");
    $("cell-name").textContent = cellName ? "\u00B7 cell " + cellName : "";
  }

  var detailFor = null, detailAt = 0;
  function renderDetail() {
    var title = $("detail-title"), body = $("detail-body");
    if (!selected || !rows.has(selected)) { title.textContent = "Select a cluster"; return; }
    var r = rows.get(selected);
    title.textContent = r.name;
    if (detailFor === selected && Date.now() - detailAt < 500) return;
    detailFor = selected; detailAt = Date.now();
    var name = selected;
    fetch("/fleet/api/clusters/" + encodeURIComponent(name), { headers: authHeaders() })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (d) { if (d && selected === name) showDetail(d); });
  }
  function showDetail(d) {
    var body = $("detail-body");
    body.className = "";
    body.textContent = "";
    var dl = el("dl");
    function row(k, v) { dl.appendChild(el("dt", { text: k })); dl.appendChild(el("dd", {}, [v])); }
    row("Phase", phaseBadge(d));
    row("Parent", d.parent || "\u2013 (root of this view)");
    row("Role", d.cell ? "cell" : "leaf");
    row("Provider", d.provider || "\u2013");
    row("Kubernetes", d.kubernetesVersion || "\u2013");
    row("Nodes", d.nodesTotal ? d.nodesReady + "/" + d.nodesTotal + " ready" : "\u2013");
    row("Agent", agentText(d) + (d.agentVersion ? " (" + d.agentVersion + ")" : "") + ", heartbeat " + age(d.lastHeartbeat));
    row("Flux", (d.fluxVersion || "not reported") + (d.fluxHealthy === undefined ? "" : d.fluxHealthy ? ", healthy" : ", unhealthy") + (d.fluxLastSync ? ", last sync " + d.fluxLastSync : ""));
    row("Services", d.services.join(", ") || "none placed");
    row("Labels", Object.keys(d.labels).map(function (k) { return k + "=" + d.labels[k]; }).join(", ") || "none");
    body.appendChild(dl);
    if (d.name !== cellName) {
      var btn = el("button", { type: "button", id: "kubeconfig", text: "Kubeconfig through the proxy" });
      btn.addEventListener("click", function () { downloadKubeconfig(d.name); });
      body.appendChild(btn);
    }
    body.appendChild(el("h3", { text: "Conditions" }));
    if (d.conditions.length) {
      var t = el("table", {}, [el("thead", {}, [el("tr", {}, ["Type", "Status", "Reason", "Message"].map(function (h) { return el("th", { scope: "col", text: h }); }))])]);
      var tb = el("tbody");
      d.conditions.forEach(function (c) {
        tb.appendChild(el("tr", {}, [el("td", { text: c.type }), el("td", { cls: "cond-" + c.status, text: c.status }), el("td", { text: c.reason }), el("td", { text: c.message })]));
      });
      t.appendChild(tb); body.appendChild(t);
    } else body.appendChild(el("p", { cls: "muted", text: "No conditions reported." }));
    body.appendChild(el("h3", { text: "Recent events" }));
    if (d.events.length) {
      var ul = el("ul", { cls: "events" });
      d.events.forEach(function (e) {
        ul.appendChild(el("li", { cls: "ev-" + e.type }, [(e.time ? new Date(e.time).toLocaleTimeString() + " " : "") + e.type + " " + e.reason + ": " + e.message + (e.count > 1 ? " (\u00D7" + e.count + ")" : "")]));
      });
      body.appendChild(ul);
    } else body.appendChild(el("p", { cls: "muted", text: "No recent events." }));
  }

  function downloadKubeconfig(name) {
    fetch("/fleet/api/clusters/" + encodeURIComponent(name) + "/kubeconfig", { headers: authHeaders() })
      .then(function (res) { if (!res.ok) throw new Error("HTTP " + res.status); return res.blob(); })
      .then(function (blob) {
        var a = el("a", { href: URL.createObjectURL(blob), download: name + ".kubeconfig.yaml" });
        document.body.appendChild(a); a.click(); a.remove();
      }).catch(function (e) { alert("Cannot download the kubeconfig: " + e.message); });
  }

  function render() {
    renderSummary();
    // The tree shows phase, role, version and link of every visible node: rebuilt when any
    // of them changed (cheap: collapsed levels are not in the DOM).
    renderTree(childrenIndex());
    renderTable();
    renderDetail();
    changed.clear();
    full = false;
    if (firstRender) { firstRender = false; performance.mark("fleet-rendered"); window.__fleet.renderedAt = performance.now(); document.body.setAttribute("data-ready", "1"); }
  }

  function select(name) { selected = name; detailFor = null; render(); }

  function visibleItems() { return Array.from($("tree").querySelectorAll("[role=treeitem]")); }
  $("tree").addEventListener("click", function (e) {
    var li = e.target.closest("[role=treeitem]"); if (!li) return;
    var name = li.getAttribute("data-name");
    if (e.target.classList.contains("twisty")) toggle(name); else select(name);
    var again = $("tree").querySelector('[data-name="' + CSS.escape(name) + '"]'); if (again) again.focus();
  });
  function toggle(name) { if (collapsed.has(name)) collapsed.delete(name); else collapsed.add(name); render(); }
  $("tree").addEventListener("keydown", function (e) {
    var li = e.target.closest("[role=treeitem]"); if (!li) return;
    var items = visibleItems(), i = items.indexOf(li), name = li.getAttribute("data-name");
    var move = function (j) { if (j >= 0 && j < items.length) { items.forEach(function (x) { x.tabIndex = -1; }); items[j].tabIndex = 0; items[j].focus(); } };
    switch (e.key) {
      case "ArrowDown": move(i + 1); break;
      case "ArrowUp": move(i - 1); break;
      case "Home": move(0); break;
      case "End": move(items.length - 1); break;
      case "ArrowRight":
        if (li.getAttribute("aria-expanded") === "false") toggle(name);
        else if (li.getAttribute("aria-expanded") === "true") move(i + 1);
        break;
      case "ArrowLeft":
        if (li.getAttribute("aria-expanded") === "true") toggle(name);
        else { var p = li.parentElement.closest("[role=treeitem]"); if (p) move(items.indexOf(p)); }
        break;
      case "Enter": case " ": select(name); break;
      default: return;
    }
    e.preventDefault();
    var f = $("tree").querySelector('[data-name="' + CSS.escape(document.activeElement.getAttribute("data-name") || name) + '"]');
    if (f && document.activeElement !== f) f.focus();
  });
  $("rows").addEventListener("click", function (e) { var tr = e.target.closest("tr"); if (tr) select(tr.getAttribute("data-name")); });
  $("rows").addEventListener("keydown", function (e) {
    var tr = e.target.closest("tr"); if (!tr) return;
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(tr.getAttribute("data-name")); }
    else if (e.key === "ArrowDown" && tr.nextElementSibling) { e.preventDefault(); tr.nextElementSibling.focus(); }
    else if (e.key === "ArrowUp" && tr.previousElementSibling) { e.preventDefault(); tr.previousElementSibling.focus(); }
  });
  ["f-phase", "f-provider", "f-version"].forEach(function (id) { $(id).addEventListener("change", schedule); });
  ["f-label", "f-name"].forEach(function (id) { $(id).addEventListener("input", schedule); });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); });
  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var t = $("token").value.trim();
    if (!t) return;
    sessionStorage.setItem(KEY, t);
    $("token").value = "";
    connect();
  });
  $("logout").addEventListener("click", function () { sessionStorage.removeItem(KEY); if (abort) abort.abort(); rows.clear(); showLogin(""); });
  setInterval(function () {
    document.querySelectorAll("[data-hb]").forEach(function (td) { td.textContent = age(Number(td.getAttribute("data-hb"))); });
  }, 1000);
  if (token()) connect(); else showLogin("");
})();
`;
