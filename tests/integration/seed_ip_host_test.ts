/**
 * Seed-shaped spec: a cell whose `cell.host` is an IP address (the spec's 172.18.255.1; a
 * loopback IP here, the only address a test may use). Its serving certificate carries the
 * IP SAN, its child's agent dials the IP and verifies the certificate against it, and both
 * reach Ready in the sandbox.
 */
import assert from "node:assert/strict";
import { connect } from "node:tls";
import { certificateIps } from "../../lib/agent/ip_identity.ts";
import { LATTICE_CLUSTER_REF } from "../../lib/api/mod.ts";
import { KubeClient, SECRET_REF } from "../../lib/kube/mod.ts";
import { CA_SECRET_NAME } from "../../lib/pki/mod.ts";
import {
  conditionOf,
  kubeconfigOf,
  ownCluster,
  seedCluster,
  withSeedSandbox,
} from "./_seed_sandbox.ts";

/** The DER certificate served at `ip:port` (name checked: localhost, as agents do). */
function servedCertificate(ip: string, port: number, caPem: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ip, port, servername: "localhost", ca: caPem }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new Uint8Array(raw));
    });
    socket.on("error", reject);
  });
}

Deno.test("a cell with an IP host: IP SAN, the child dials the IP, both Ready", async () => {
  const mgmt = seedCluster("mgmt", {
    cellRef: "bootstrap",
    cell: { enabled: true, host: "127.0.0.1", service: { type: "LoadBalancer" } },
  });
  const child = seedCluster("edge", { cellRef: "mgmt" });
  await withSeedSandbox([mgmt, child], async (sandbox) => {
    const rows = await sandbox.rows();
    assert.deepEqual(
      rows.filter((r) => r.name !== "bootstrap").map((r) => [r.name, r.phase]).sort(),
      [["edge", "Ready"], ["mgmt", "Ready"]],
    );
    const cellUrl = sandbox.operatorOf("mgmt")?.cellUrl;
    assert.ok(cellUrl?.startsWith("https://127.0.0.1:"), `cell URL ${cellUrl}`);
    if (!cellUrl) return;
    const edge = await ownCluster(sandbox, "edge");
    assert.equal(edge.status?.phase, "Ready");
    const client = KubeClient.fromKubeconfig(kubeconfigOf(sandbox, "mgmt"));
    try {
      const ca = await client.get<{ data?: Record<string, string> }>(
        SECRET_REF,
        CA_SECRET_NAME,
        "lattice-system",
      );
      const caPem = atob(ca.data?.["tls.crt"] ?? "");
      const port = Number(new URL(cellUrl).port);
      const ips = certificateIps(await servedCertificate("127.0.0.1", port, caPem));
      assert.ok(ips.includes("127.0.0.1"), `IP SANs: ${ips.join(", ")}`);
      // The parent's view of the child: its agent stream, dialled at 127.0.0.1, is up.
      const seen = await client.get<{ status?: { agent?: { connected?: boolean } } }>(
        LATTICE_CLUSTER_REF,
        "edge",
      );
      assert.equal(seen.status?.agent?.connected, true);
    } finally {
      client.close();
    }
    assert.equal(conditionOf(edge, "SpecValid")?.status, "True");
  });
});
