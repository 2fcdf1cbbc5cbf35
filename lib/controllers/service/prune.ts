/**
 * Pruning the workload objects a service generated before and no longer wants (the
 * canary's after a switch to rolling, the HPA when `max` goes, the files' ConfigMap). The
 * service's status lists what it generated (`Kind/name`), so nothing is listed to find them.
 */
import { CONFIGMAP_REF, DEPLOYMENT_REF, isNotFound, type KubeClient } from "../../kube/mod.ts";
import type { ResourceRef } from "../../kube/mod.ts";
import {
  DESTINATION_RULE_REF,
  HPA_REF,
  SERVICE_ACCOUNT_REF,
  SERVICE_REF,
  VIRTUAL_SERVICE_REF,
} from "./names.ts";

const REFS: Record<string, ResourceRef> = Object.fromEntries(
  [
    DEPLOYMENT_REF,
    CONFIGMAP_REF,
    SERVICE_REF,
    SERVICE_ACCOUNT_REF,
    HPA_REF,
    VIRTUAL_SERVICE_REF,
    DESTINATION_RULE_REF,
  ].map((r) => [r.kind, r]),
);

/** Deletes the `previous` objects (`Kind/name`) that are not in `current`. */
export async function pruneGenerated(
  client: KubeClient,
  namespace: string,
  previous: readonly string[],
  current: readonly string[],
): Promise<void> {
  const keep = new Set(current);
  for (const item of previous) {
    if (keep.has(item)) continue;
    const slash = item.indexOf("/");
    const ref = REFS[item.slice(0, slash)];
    if (!ref) continue;
    try {
      await client.delete(ref, item.slice(slash + 1), namespace);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
