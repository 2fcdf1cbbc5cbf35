/**
 * Planes for mesh tests: Lattice's CRDs with the real Cilium and Istio CRDs, and the
 * namespaces the tests use.
 */
import { type KubeClient, type KubeObject, type ResourceRef } from "../../lib/kube/mod.ts";

/** CRDs of mesh planes. */
export const MESH_CRDS = { lattice: true, upstream: ["cilium-v1.19.4", "istio-1.30.3"] };

/** Creates namespaces (idempotent). */
export async function ensureNamespaces(client: KubeClient, names: Iterable<string>) {
  for (const name of names) {
    await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  }
}

/** Every object of `ref` in all namespaces. */
export async function listAll(client: KubeClient, ref: ResourceRef): Promise<KubeObject[]> {
  const list = await client.list<KubeObject>(ref);
  return list.items.map((o) => ({ ...o, apiVersion: o.apiVersion, kind: ref.kind }));
}
