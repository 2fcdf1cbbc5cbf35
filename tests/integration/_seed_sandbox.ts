/**
 * Helpers of the seed-shaped sandbox tests: a sandbox fleet (real planes, real operators
 * in-process, Cluster API's controllers and machines SIMULATED by the CAPI simulator)
 * brought up from LatticeCluster documents shaped like the spec's examples, torn down after.
 */
import type { LatticeClusterInput } from "../../lib/api/mod.ts";
import type { ClusterObject } from "../../lib/controllers/cluster/mod.ts";
import { createLogger } from "../../lib/log/mod.ts";
import { inProcessOperator, Sandbox, sourceShim } from "../../lib/sandbox/mod.ts";
import { LATTICE_CLUSTER, read } from "../e2e/_fleet.ts";

/** A docker LatticeCluster like the spec's, with `spec` merged over a 1+1 node default. */
export function seedCluster(
  name: string,
  spec: Partial<LatticeClusterInput["spec"]>,
): LatticeClusterInput {
  return {
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeCluster",
    metadata: { name, labels: { env: "sandbox" } },
    spec: {
      provider: { kubernetes: { version: "1.31.0", bootstrap: "kubeadm" }, config: { docker: {} } },
      nodes: { controlPlane: 1, workers: 1 },
      ...spec,
    },
  };
}

/** Runs `body` on a sandbox whose clusters all reached Ready; always tears it down. */
export async function withSeedSandbox(
  clusters: LatticeClusterInput[],
  body: (sandbox: Sandbox) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lattice-seed-" });
  const lines: string[] = [];
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await Sandbox.up({
      clusters,
      dir,
      logger: createLogger({ level: "error", format: "text" }),
      print: (line) => lines.push(line),
      timeoutMs: 300_000,
      startOperator: inProcessOperator({
        binary: await sourceShim(`${dir}/bin`),
        heartbeatIntervalMs: 1_000,
      }),
    });
    await body(sandbox);
  } catch (e) {
    console.log(`sandbox progress:\n  ${lines.join("\n  ")}`);
    throw e;
  } finally {
    await sandbox?.down();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The admin kubeconfig of a cluster's own plane. */
export function kubeconfigOf(sandbox: Sandbox, name: string): string {
  const plane = sandbox.planeOf(name);
  if (!plane) throw new Error(`no plane for ${name}`);
  return plane.kubeconfig;
}

/** A cluster's own LatticeCluster, read on its own plane. */
export async function ownCluster(sandbox: Sandbox, name: string): Promise<ClusterObject> {
  const lc = await read(kubeconfigOf(sandbox, name), LATTICE_CLUSTER, name);
  if (!lc) throw new Error(`no LatticeCluster ${name} on its own plane`);
  return lc as ClusterObject;
}

/** The condition `type` of a LatticeCluster. */
export function conditionOf(cluster: ClusterObject, type: string) {
  return cluster.status?.conditions?.find((c) => c.type === type);
}
