/**
 * The steps of the end-to-end flow that do not care what runs the machines: shared by the
 * local run on real planes (fleet_test.ts, CAPI simulator) and `deno task e2e` on kind with
 * real Cluster API (scripts/e2e_kind.ts). Each step acts through a cluster's OWN
 * LatticeCluster and waits for its OWN Cluster API objects and nodes: no parent involved.
 */
import assert from "node:assert/strict";
import { proxyKubeconfig } from "../../lib/proxy/mod.ts";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import type { RunToolResult } from "../../lib/tools/run.ts";
import { LATTICE_CLUSTER, proxyAccess, read } from "./_fleet.ts";
import { until } from "../_until.ts";

const CAPI = "cluster.x-k8s.io/v1beta2";

/** Runs kubectl with a kubeconfig file; resolves with failures too. */
export type KubectlRunner = (kubeconfigPath: string, args: string[]) => Promise<RunToolResult>;

/** Scales `name`'s workers to `workers` through its own LatticeCluster; returns node count. */
export async function scaleWorkers(
  kubeconfig: string,
  name: string,
  workers: number,
  timeoutMs: number,
): Promise<number> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    const lc = await client.patch<KubeObject>(LATTICE_CLUSTER, name, {
      spec: { nodes: { workers } },
    });
    const total = (lc.spec as { nodes: { controlPlane: number } }).nodes.controlPlane + workers;
    const mdRef = await client.resourceFor(CAPI, "MachineDeployment");
    await until(`MachineDeployment replicas ${workers}`, async () => {
      const mds = await client.list<KubeObject>(mdRef, { namespace: `capi-${name}` });
      return mds.items.some((md) => (md.spec as { replicas?: number }).replicas === workers)
        ? true
        : undefined;
    }, timeoutMs);
    const nodeRef = await client.resourceFor("v1", "Node");
    await until(`${total} nodes on ${name}`, async () => {
      const nodes = await client.list<KubeObject>(nodeRef);
      return nodes.items.length === total ? true : undefined;
    }, timeoutMs);
    await until(`${name} status.nodes ${total}/${total}`, async () => {
      const own = await client.get<KubeObject>(LATTICE_CLUSTER, name);
      return (own.status as { nodes?: { summary?: string } }).nodes?.summary === `${total}/${total}`
        ? true
        : undefined;
    }, timeoutMs);
    return total;
  } finally {
    client.close();
  }
}

/** Upgrades `name` to `version` through its own LatticeCluster, control plane first. */
export async function upgradeKubernetes(
  kubeconfig: string,
  name: string,
  version: string,
  timeoutMs: number,
): Promise<void> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    await client.patch(LATTICE_CLUSTER, name, {
      spec: { provider: { kubernetes: { version } } },
    });
    const kcpRef = await client.resourceFor(
      "controlplane.cluster.x-k8s.io/v1beta2",
      "KubeadmControlPlane",
    );
    await until(`control plane at v${version}`, async () => {
      const list = await client.list<KubeObject>(kcpRef, { namespace: `capi-${name}` });
      return list.items.some((k) =>
          String((k.spec as { version?: string }).version).includes(version)
        )
        ? true
        : undefined;
    }, timeoutMs);
    const mdRef = await client.resourceFor(CAPI, "MachineDeployment");
    await until(`workers at v${version}`, async () => {
      const list = await client.list<KubeObject>(mdRef, { namespace: `capi-${name}` });
      return list.items.length > 0 &&
          list.items.every((md) =>
            String((md.spec as { template: { spec: { version?: string } } }).template.spec.version)
              .includes(version)
          )
        ? true
        : undefined;
    }, timeoutMs);
    await until(`${name} status.kubernetesVersion ${version}`, async () => {
      const own = await client.get<KubeObject>(LATTICE_CLUSTER, name);
      return (own.status as { kubernetesVersion?: string }).kubernetesVersion === version
        ? true
        : undefined;
    }, timeoutMs);
  } finally {
    client.close();
  }
}

/** Options of {@linkcode kubectlThroughProxy}. */
export interface ProxyStep {
  /** The cell's admin kubeconfig, its cluster name and the URL kubectl dials. */
  cellKubeconfig: string;
  cellName: string;
  cellUrl: string;
  /** Name to check the cell's certificate against when `cellUrl` holds an IP. */
  tlsServerName?: string;
  /** The child's admin kubeconfig and name. */
  clusterKubeconfig: string;
  cluster: string;
  /** Where the proxy kubeconfig is written. */
  dir: string;
  kubectl: KubectlRunner;
  timeoutMs: number;
}

/**
 * Reaches the child through the cell's API proxy with the real kubectl as a service account
 * of the cell: nodes are listed (the child's RBAC allows it), secrets are forbidden (it does
 * not). Returns the number of nodes seen.
 */
export async function kubectlThroughProxy(step: ProxyStep): Promise<number> {
  const token = await proxyAccess(
    step.cellKubeconfig,
    step.cellName,
    step.clusterKubeconfig,
    step.cluster,
  );
  const cellCa = await until(`${step.cellName}'s CA`, async () => {
    const secret = await read(
      step.cellKubeconfig,
      { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true },
      "lattice-ca",
      "lattice-system",
    );
    const data = (secret as { data?: Record<string, string> } | undefined)?.data;
    return data?.["tls.crt"] ? atob(data["tls.crt"]) : undefined;
  });
  const path = `${step.dir}/proxy-${step.cluster}.yaml`;
  await Deno.writeTextFile(
    path,
    proxyKubeconfig({
      cellUrl: step.cellUrl,
      clusters: [step.cluster],
      token,
      caPem: cellCa,
      tlsServerName: step.tlsServerName,
    }),
  );
  const out = await until("nodes through the proxy", async () => {
    const res = await step.kubectl(path, ["get", "nodes", "-o", "name"]);
    return res.code === 0 ? res.stdout : undefined;
  }, step.timeoutMs);
  const denied = await step.kubectl(path, ["get", "secrets", "-A"]);
  assert.notEqual(denied.code, 0, "the child's RBAC still decides");
  assert.match(denied.stderr, /forbidden/i);
  return out.trim().split("\n").length;
}
