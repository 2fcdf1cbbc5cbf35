/** ClusterHealth from the child's own Kubernetes API. */
import type { KubeClient, ObjectList } from "../kube/mod.ts";
import type { ClusterHealth } from "../proto/lattice/agent/v1/agent.ts";

interface NodeCondition {
  type: string;
  status: string;
}
interface Node {
  metadata: { name: string };
  status?: { conditions?: NodeCondition[] };
}

/** Node pressure conditions worth telling the parent about. */
const PRESSURE = ["MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"];

/** Counts Ready nodes and lists notable node conditions, e.g. `node-1: NotReady`. */
export async function nodeHealth(client: KubeClient): Promise<ClusterHealth> {
  const nodes = await client.request<ObjectList<Node>>({ method: "GET", path: "/api/v1/nodes" });
  let ready = 0;
  const conditions: string[] = [];
  for (const node of nodes.items) {
    const list = node.status?.conditions ?? [];
    if (list.some((c) => c.type === "Ready" && c.status === "True")) ready++;
    else conditions.push(`${node.metadata.name}: NotReady`);
    for (const c of list) {
      if (PRESSURE.includes(c.type) && c.status === "True") {
        conditions.push(`${node.metadata.name}: ${c.type}`);
      }
    }
  }
  return { readyNodes: ready, totalNodes: nodes.items.length, conditions };
}

/** The server's Kubernetes version, e.g. `v1.36.3`. */
export async function kubernetesVersion(client: KubeClient): Promise<string> {
  const info = await client.request<{ gitVersion: string }>({ method: "GET", path: "/version" });
  return info.gitVersion;
}
