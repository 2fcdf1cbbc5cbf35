/** The fleet page's style. Text colours keep a contrast of at least 4.5:1 (WCAG AA). */
export const PAGE_CSS = `
:root { --fg:#1a1d21; --muted:#4a5260; --bg:#ffffff; --panel:#f4f6f8; --line:#cfd5dc;
  --accent:#0b57d0; --ok:#1b6b2f; --warn:#8a4b00; --bad:#b3261e; --stale:#5f4b8b;
  --focus:#0b57d0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
* { box-sizing: border-box; }
body { margin:0; color:var(--fg); background:var(--bg); font-size:15px; line-height:1.4; }
.skip { position:absolute; left:-999px; top:0; background:var(--fg); color:#fff; padding:6px; }
.skip:focus { left:8px; z-index:10; }
.top { display:flex; align-items:center; gap:16px; flex-wrap:wrap; padding:10px 18px;
  background:#102a43; color:#fff; }
.top h1 { font-size:19px; margin:0; font-weight:600; }
.top .muted { color:#d9e2ec; font-weight:400; }
.summary { margin:0; color:#f0f4f8; }
.link { margin:0 0 0 auto; padding:2px 10px; border-radius:12px; background:#243b53; color:#fff; }
.link.live { background:#1b6b2f; }
.link.down { background:#b3261e; }
button { font:inherit; padding:5px 12px; border:1px solid var(--accent); border-radius:6px;
  background:var(--accent); color:#fff; cursor:pointer; }
button.secondary, .top button { background:#fff; color:var(--accent); }
:focus-visible { outline:3px solid var(--focus); outline-offset:2px; }
.muted { color:var(--muted); }
.error { color:var(--bad); font-weight:600; }
.login { max-width:560px; margin:48px auto; padding:24px; background:var(--panel);
  border:1px solid var(--line); border-radius:10px; }
.login label { display:block; font-weight:600; margin:12px 0 4px; }
.login input { width:100%; padding:7px; font:inherit; border:1px solid #7b8794; border-radius:6px; }
.login button { margin-top:12px; }
.fleet { display:grid; grid-template-columns: minmax(300px, 26%) 1fr; grid-template-rows: auto auto;
  gap:12px; padding:12px 18px; }
.tree-panel { grid-row: span 2; background:var(--panel); border:1px solid var(--line);
  border-radius:10px; padding:8px 10px; overflow:auto; max-height:calc(100vh - 90px); }
h2 { font-size:15px; margin:4px 0 8px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
#detail h2 { text-transform:none; letter-spacing:0; font-size:18px; color:var(--fg); }
ul[role=tree], ul[role=group] { list-style:none; margin:0; padding-left:0; }
ul[role=group] { padding-left:18px; border-left:1px dotted var(--line); margin-left:7px; }
[role=treeitem] > .node { display:flex; align-items:center; gap:6px; padding:3px 6px;
  border-radius:6px; cursor:pointer; white-space:nowrap; }
[role=treeitem][aria-selected=true] > .node { background:#dbe7fb; }
[role=treeitem]:focus { outline:none; }
[role=treeitem]:focus-visible > .node, [role=treeitem]:focus > .node { outline:3px solid var(--focus); outline-offset:-1px; }
[role=treeitem] > .node:hover { background:#e8eef6; }
.twisty { width:14px; display:inline-block; color:var(--muted); }
.badge { display:inline-flex; align-items:center; gap:4px; padding:0 8px; border-radius:10px;
  font-size:13px; border:1px solid currentColor; white-space:nowrap; }
.phase-Ready { color:var(--ok); } .phase-Failed { color:var(--bad); }
.phase-Provisioning, .phase-Pivoting, .phase-Pending { color:var(--warn); }
.phase-Deleting, .phase-Unknown { color:var(--muted); }
.stale { color:var(--stale); font-style:italic; }
.kind { font-size:12px; color:var(--muted); }
.table-panel, .detail { background:var(--bg); border:1px solid var(--line); border-radius:10px; padding:8px 12px; }
.filters { display:flex; flex-wrap:wrap; gap:12px; margin-bottom:6px; }
.filters label { font-size:14px; color:var(--fg); }
.filters select, .filters input { font:inherit; padding:3px 6px; border:1px solid #7b8794; border-radius:6px; }
.table-wrap { overflow:auto; max-height:40vh; }
table { border-collapse:collapse; width:100%; font-size:14px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
th { position:sticky; top:0; background:var(--panel); }
tbody tr { cursor:pointer; } tbody tr:hover { background:#f0f4fa; }
tbody tr[aria-selected=true] { background:#dbe7fb; }
.detail dl { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:6px 0; }
.detail dt { color:var(--muted); } .detail dd { margin:0; }
.detail h3 { font-size:15px; margin:12px 0 4px; }
.detail table td { white-space:normal; }
.cond-True { color:var(--ok); } .cond-False { color:var(--bad); } .cond-Unknown { color:var(--muted); }
.ev-Warning { color:var(--bad); }
@media (max-width: 900px) { .fleet { grid-template-columns: 1fr; } .tree-panel { grid-row:auto; } }
`;
