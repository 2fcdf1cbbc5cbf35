/**
 * The GitOps loop's test harness: a sandbox in GitOps mode (its cluster repository served by
 * `git http-backend`, the real source- and kustomize-controller behind every cluster's
 * flux-system Deployments), the `lattice` CLI run in that repository, `git commit`, and
 * readers of what each cluster reports. Each step of the acceptance is one call.
 */
import type { LatticeClusterInput } from "../../lib/api/mod.ts";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { createLogger } from "../../lib/log/mod.ts";
import {
  inProcessOperator,
  managementExample,
  Sandbox,
  sourceShim,
} from "../../lib/sandbox/mod.ts";
import { commitAll } from "../../lib/sandbox/gitops_repo.ts";
import type { SandboxGitops } from "../../lib/sandbox/sandbox_gitops.ts";
import { LATTICE_CLUSTER_REF } from "../../lib/api/mod.ts";
import { lattice } from "../gitops/fixtures.ts";
import { until } from "../_until.ts";

/** What the tests read of a LatticeCluster. */
export interface ClusterView extends KubeObject {
  spec: { nodes: { workers: number }; flux?: { version?: string; suspend?: boolean } };
  status?: {
    phase?: string;
    fluxVersion?: string;
    flux?: {
      version?: string;
      installed?: boolean;
      healthy?: boolean;
      suspended?: boolean;
      revision?: string;
      lastSync?: string;
      controllers?: Record<string, string>;
      errors?: string[];
    };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** A running GitOps fleet. */
export interface GitopsFleet {
  sandbox: Sandbox;
  repo: string;
  dir: string;
  /** Runs `lattice ARGS` in the repository; throws on a non-zero exit. */
  cli(...args: string[]): Promise<string>;
  /** `git add -A && git commit`; answers the new HEAD. */
  commit(message: string): Promise<string>;
  /** The LatticeCluster `name` as its parent holds it (`on` names the plane). */
  cluster(name: string, on: string): Promise<ClusterView | undefined>;
  /** A client of a cluster's own API server. */
  client(name: string): KubeClient;
  /** Waits until `name` (read on `on`) satisfies `ok`; answers it. */
  waitCluster(
    name: string,
    on: string,
    what: string,
    ok: (c: ClusterView) => boolean,
    timeoutMs?: number,
  ): Promise<ClusterView>;
  down(): Promise<void>;
}

/** Options of {@linkcode startGitopsFleet}. */
export interface GitopsFleetOptions extends Partial<SandboxGitops> {
  /** The clusters (default: only `mgmt`, the repository root). */
  clusters?: LatticeClusterInput[];
  timeoutMs?: number;
}

/** Starts a sandbox in GitOps mode with the repository root Ready. */
export async function startGitopsFleet(options: GitopsFleetOptions = {}): Promise<GitopsFleet> {
  const dir = await Deno.makeTempDir({ prefix: "lattice-gitops-" });
  const repo = `${dir}/fleet`;
  const clients = new Map<string, KubeClient>();
  const sandbox = await Sandbox.up({
    clusters: options.clusters ?? [managementExample()],
    dir,
    logger: createLogger({
      level: Deno.env.get("LATTICE_LOG") === "debug" ? "debug" : "warn",
      format: "text",
    }),
    timeoutMs: options.timeoutMs ?? 600_000,
    gitops: { pollMs: 1_000, fluxInterval: "5s", ...options, repoDir: repo },
    startOperator: inProcessOperator({
      binary: await sourceShim(`${dir}/bin`),
      heartbeatIntervalMs: 2_000,
    }),
  });
  const client = (name: string) => {
    let c = clients.get(name);
    if (!c) {
      const plane = sandbox.planeOf(name);
      if (!plane) throw new Error(`no plane for ${name}`);
      c = KubeClient.fromKubeconfig(plane.kubeconfig);
      clients.set(name, c);
    }
    return c;
  };
  const cluster = async (name: string, on: string) => {
    try {
      return await client(on).get<ClusterView>(LATTICE_CLUSTER_REF, name);
    } catch {
      return undefined;
    }
  };
  return {
    sandbox,
    repo,
    dir,
    async cli(...args) {
      const r = await lattice(repo, ...args);
      if (r.code !== 0) throw new Error(`lattice ${args.join(" ")} failed: ${r.stderr}`);
      return r.stdout;
    },
    commit: (message) => commitAll(repo, message),
    cluster,
    client,
    waitCluster: (name, on, what, ok, timeoutMs = 300_000) =>
      until(`${name} on ${on}: ${what}`, async () => {
        const c = await cluster(name, on);
        return c && ok(c) ? c : undefined;
      }, timeoutMs),
    async down() {
      for (const c of clients.values()) c.close();
      await sandbox.down();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** The FluxReady condition of a cluster. */
export function fluxReady(c: ClusterView | undefined) {
  return c?.status?.conditions?.find((x) => x.type === "FluxReady");
}

/** Whether a cluster is Ready and its Flux healthy at `version` (any when omitted). */
export function readyWithFlux(c: ClusterView, version?: string): boolean {
  return c.status?.phase === "Ready" && c.status.flux?.healthy === true &&
    (version === undefined || c.status.fluxVersion === version) &&
    fluxReady(c)?.status === "True";
}

/**
 * `lattice cluster scale NAME --workers N` + commit, then wait for the cluster's own copy to
 * report N workers. Needs the spec sync after the pivot (issue #16): the parent's copy,
 * which Flux updates, must reach the child.
 */
export async function scaleAndWait(
  fleet: GitopsFleet,
  name: string,
  workers: number,
  timeoutMs = 300_000,
): Promise<void> {
  await fleet.cli("cluster", "scale", name, "--workers", String(workers));
  await fleet.commit(`Scale ${name} to ${workers} workers`);
  await fleet.waitCluster(
    name,
    name,
    `${workers} workers`,
    (c) => c.spec.nodes.workers === workers && c.status?.phase === "Ready",
    timeoutMs,
  );
}

/**
 * `lattice cluster delete NAME` + commit, then wait until the parent no longer holds it.
 * Needs unpivot-on-delete (issue #16).
 */
export async function deleteAndWait(
  fleet: GitopsFleet,
  name: string,
  parent: string,
  timeoutMs = 300_000,
): Promise<void> {
  await fleet.cli("cluster", "delete", name);
  await fleet.commit(`Delete ${name}`);
  await until(`${name} gone from ${parent}`, async () => {
    return (await fleet.cluster(name, parent)) === undefined ? true : undefined;
  }, timeoutMs);
}
