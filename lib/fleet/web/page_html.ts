/** The fleet page's HTML: one document, its script and style served beside it (CSP). */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lattice fleet</title>
<link rel="stylesheet" href="/fleet/app.css">
<script src="/fleet/app.js" defer></script>
</head>
<body>
<a class="skip" href="#table-region">Skip to the cluster table</a>
<header class="top">
  <h1>Lattice fleet <span id="cell-name" class="muted"></span></h1>
  <p id="summary" class="summary" aria-live="polite"></p>
  <p id="link" class="link" role="status">Not connected</p>
  <button id="logout" type="button" hidden>Forget token</button>
</header>
<main id="main">
  <section id="login" class="login" aria-labelledby="login-title">
    <h2 id="login-title">Sign in</h2>
    <p>The fleet view uses the same authentication as the cell's Kubernetes API proxy: paste a
    bearer token the cell's API server accepts (for example
    <code>kubectl create token NAME</code> on the cell). You see the clusters your RBAC allows
    (<code>get</code> on <code>latticeclusters</code>).</p>
    <form id="login-form">
      <label for="token">Bearer token</label>
      <input id="token" name="token" type="password" autocomplete="off" required>
      <button type="submit">Open the fleet</button>
    </form>
    <p id="login-error" class="error" role="alert"></p>
  </section>
  <div id="fleet" class="fleet" hidden>
    <nav class="tree-panel" aria-labelledby="tree-title">
      <h2 id="tree-title">Hierarchy</h2>
      <ul id="tree" role="tree" aria-labelledby="tree-title"></ul>
    </nav>
    <section id="table-region" class="table-panel" aria-labelledby="table-title" tabindex="-1">
      <h2 id="table-title">Clusters</h2>
      <form id="filters" class="filters" role="search" aria-label="Filter clusters">
        <label>Phase <select id="f-phase"><option value="">all</option></select></label>
        <label>Provider <select id="f-provider"><option value="">all</option></select></label>
        <label>Kubernetes <select id="f-version"><option value="">all</option></select></label>
        <label>Label <input id="f-label" placeholder="key=value" size="14"></label>
        <label>Name <input id="f-name" placeholder="substring" size="12"></label>
      </form>
      <p id="table-note" class="muted" aria-live="polite"></p>
      <div class="table-wrap">
      <table id="table">
        <thead><tr>
          <th scope="col">Name</th><th scope="col">Parent</th><th scope="col">Phase</th>
          <th scope="col">Provider</th><th scope="col">Kubernetes</th><th scope="col">Flux</th>
          <th scope="col">Nodes</th><th scope="col">Agent</th><th scope="col">Heartbeat</th>
          <th scope="col">Services</th>
        </tr></thead>
        <tbody id="rows"></tbody>
      </table>
      </div>
    </section>
    <section id="detail" class="detail" aria-labelledby="detail-title" aria-live="polite">
      <h2 id="detail-title">Select a cluster</h2>
      <div id="detail-body" class="muted">Choose a cluster in the hierarchy or the table
      (arrow keys move, Enter selects).</div>
    </section>
  </div>
</main>
</body>
</html>
`;
