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

/**
 * Resolves a group + kind (no version, as in v1beta2 refs) to a served resource: the group's
 * preferred version when it serves the kind, else the first other version that does (one
 * API group is shared by providers at different versions, e.g. CAPD at v1beta2 and CAPO at
 * v1beta1).
 */
export async function resourceForGroupKind(
  client: KubeClient,
  group: string,
  kind: string,
): Promise<ResourceRef> {
  const groups = await client.request<{
    groups: {
      name: string;
      preferredVersion: { groupVersion: string };
      versions: { groupVersion: string }[];
    }[];
  }>({ method: "GET", path: "/apis" });
  const found = groups.groups.find((g) => g.name === group);
  if (!found) throw new Error(`Cannot resolve ${kind}: API group ${group} is not served`);
  const candidates = [
    found.preferredVersion.groupVersion,
    ...found.versions.map((v) => v.groupVersion).filter((v) =>
      v !== found.preferredVersion.groupVersion
    ),
  ];
  let last: unknown;
  for (const groupVersion of candidates) {
    try {
      return await client.resourceFor(groupVersion, kind);
    } catch (error) {
      last = error;
    }
  }
  throw last;
}
