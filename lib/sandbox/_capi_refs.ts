/**
 * Resolving Cluster API v1beta2 contract references (apiGroup + kind + name, no version)
 * and patching the status of what they point at.
 */
import type { KubeClient, ResourceRef } from "../kube/mod.ts";

/** A v1beta2 contract reference. */
export interface ContractRef {
  apiGroup: string;
  kind: string;
  name: string;
}

/** Merge-patches the status of the object a contract reference points at. */
export async function patchStatusOf(
  client: KubeClient,
  ref: { apiGroup?: string; kind?: string; name?: string },
  namespace: string,
  status: Record<string, unknown>,
): Promise<void> {
  const resource = await resourceForGroupKind(client, ref.apiGroup ?? "", ref.kind ?? "");
  await client.patchStatus(resource, ref.name ?? "", namespace, { status });
}

/** Resolves a group + kind (no version, as in v1beta2 refs) to its preferred resource. */
export async function resourceForGroupKind(
  client: KubeClient,
  group: string,
  kind: string,
): Promise<ResourceRef> {
  const groups = await client.request<
    { groups: { name: string; preferredVersion: { groupVersion: string } }[] }
  >(
    { method: "GET", path: "/apis" },
  );
  const found = groups.groups.find((g) => g.name === group);
  if (!found) throw new Error(`Cannot resolve ${kind}: API group ${group} is not served`);
  return await client.resourceFor(found.preferredVersion.groupVersion, kind);
}
