/**
 * The CAPI simulator's end of a cluster: when CAPI's finalizer on a deleted Cluster is
 * honoured (the infrastructure "torn down"), whatever played that cluster goes too — first
 * what runs against its plane (the sandbox's in-process operator, like the machines' kubelets
 * and pods dying with them), then the plane's own processes (etcd, kube-apiserver).
 */
import type { KubeClient } from "../kube/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { ControlPlane } from "./control_plane.ts";

/** The simulator's record of one played cluster (the fields teardown needs). */
export interface TornDownCluster {
  name: string;
  plane: ControlPlane;
  client: KubeClient;
}

/** Called before a deleted cluster's plane stops (e.g. stop its operator). */
export type OnClusterDeleted = (name: string) => void | Promise<void>;

/** What a teardown stopped, for logs and tests. */
export interface TeardownReport {
  name: string;
  /** Process ids of the plane's servers when it was stopped. */
  pids: number[];
}

/**
 * Forgets `name` in the simulator's maps and stops everything that played it. Idempotent:
 * a cluster already gone reports no pids.
 */
export async function teardownClusterProcesses(
  clusters: Map<string, TornDownCluster>,
  planes: Map<string, KubeClient>,
  name: string,
  options: { onClusterDeleted?: OnClusterDeleted; logger?: Logger } = {},
): Promise<TeardownReport> {
  const sim = clusters.get(name);
  if (!sim) return { name, pids: [] };
  clusters.delete(name);
  planes.get(name)?.close();
  planes.delete(name);
  try {
    await options.onClusterDeleted?.(name);
  } catch (error) {
    options.logger?.warn("Cannot stop what runs on a deleted cluster", { cluster: name, error });
  }
  const pids = sim.plane.pids();
  sim.client.close();
  await sim.plane.stop();
  options.logger?.info("Stopped the deleted cluster's control plane", { cluster: name, pids });
  return { name, pids };
}
