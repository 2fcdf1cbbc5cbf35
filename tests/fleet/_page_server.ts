/** The fleet page over loopback HTTP with a synthetic state, for browser tests and the bench. */
import { fleetApp, FleetState, type ViewAuthorizer } from "../../lib/fleet/mod.ts";
import type { Authenticator } from "../../lib/proxy/auth.ts";
import { entry, Link } from "./_fixtures.ts";

/** The token the stub authenticator accepts, and its user. */
export const GOOD_TOKEN = "good-token";
/** A token that sees only `workload` and its parent `mgmt`. */
export const NARROW_TOKEN = "narrow-token";

/** Accepts the two tokens above. */
export const stubAuthenticator: Authenticator = {
  authenticate: (token) =>
    Promise.resolve(
      token === GOOD_TOKEN
        ? { user: "alice", groups: ["ops"] }
        : token === NARROW_TOKEN
        ? { user: "bob", groups: [] }
        : undefined,
    ),
};

/** alice sees everything; bob sees mgmt and workload by name. */
export const stubAuthorizer: ViewAuthorizer = {
  allowed: (identity, name) =>
    Promise.resolve(
      identity.user === "alice" || (name !== undefined && ["mgmt", "workload"].includes(name)),
    ),
};

/** The sample fleet's two cells and the link between them. */
export interface SampleFleet {
  root: FleetState;
  mgmt: FleetState;
  link: Link;
}

/** A three-level sample fleet like the sandbox's, plus `extra` synthetic leaves. */
export function sampleFleet(extra = 0): SampleFleet {
  const root = new FleetState("bootstrap");
  root.setSelf(entry("bootstrap", "", { cell: true, kubernetesVersion: "1.36.3" }));
  const now = Date.now();
  root.setLocalChild("mgmt", {
    summary: entry("mgmt", "bootstrap", {
      cell: true,
      provider: "docker",
      kubernetesVersion: "1.31.0",
      fluxVersion: "2.6.4",
      fluxHealthy: true,
      nodesReady: 2,
      nodesTotal: 2,
      agentConnected: true,
      lastHeartbeat: new Date(now - 2_000),
      labels: { env: "sandbox", tier: "management" },
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "SelfManaging",
          message: "The cluster manages itself",
        },
        { type: "AgentConnected", status: "True", reason: "Connected", message: "" },
      ],
      events: [{
        type: "Normal",
        reason: "Ready",
        message: "Phase Pivoting → Ready: the cluster manages itself",
        time: new Date(now - 60_000),
        count: 1,
      }],
    }),
    pivoted: true,
  });
  const mgmt = new FleetState("mgmt");
  mgmt.setLocalChild("workload", {
    summary: entry("workload", "mgmt", {
      provider: "docker",
      kubernetesVersion: "1.31.0",
      nodesReady: 3,
      nodesTotal: 3,
      agentConnected: true,
      lastHeartbeat: new Date(now - 1_000),
      labels: { env: "sandbox", tier: "workload" },
      services: ["checkout", "search"],
    }),
    pivoted: true,
  });
  for (let i = 0; i < extra; i++) {
    const name = `leaf-${String(i).padStart(5, "0")}`;
    mgmt.setLocalChild(name, {
      summary: entry(name, "mgmt", {
        provider: i % 3 ? "aws" : "proxmox",
        kubernetesVersion: i % 2 ? "1.31.0" : "1.32.0",
        nodesReady: 3,
        nodesTotal: 3,
        agentConnected: true,
        lastHeartbeat: new Date(now),
        labels: { env: i % 5 ? "prod" : "staging" },
      }),
      pivoted: true,
    });
  }
  mgmt.setSelf(entry("mgmt", "bootstrap", { cell: true }));
  const link = new Link(mgmt, root);
  link.connect();
  return { root, mgmt, link };
}

/** Serves the page on loopback; `link.flush()` pushes mgmt's changes to the root. */
export function servePage(fleet: SampleFleet) {
  const { app, hub } = fleetApp({
    state: fleet.root,
    authenticator: stubAuthenticator,
    authorizer: stubAuthorizer,
    cellUrl: () => "https://cell.example:8443",
    sse: { batchMs: 50 },
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    hub,
    async close() {
      hub.close();
      await server.shutdown();
    },
  };
}
