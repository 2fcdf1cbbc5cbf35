/**
 * The canary strategy: a second Deployment (track `canary`, the canary's images) beside
 * the stable one, and Istio routing that splits the service's traffic by weight between
 * the two tracks: a DestinationRule with subsets `stable` and `canary` (by the track
 * label) and a VirtualService on the service's host. The Service selects both tracks, so
 * without Istio the split falls back to replica proportions.
 */
import type { KubeObject } from "../../kube/mod.ts";
import { canaryName, SERVICE_LABEL, TRACK_LABEL } from "./names.ts";
import { objectMeta, podTemplate, type WorkloadInput } from "./workload.ts";

/** The service's in-cluster host name. */
export function hostOf(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.cluster.local`;
}

/** The canary objects, or none under the rolling strategy. */
export function canaryObjects(input: WorkloadInput): KubeObject[] {
  const canary = input.spec.deploy?.canary;
  if (input.spec.deploy?.strategy !== "canary" || !canary) return [];
  const host = hostOf(input.name, input.namespace);
  const out: KubeObject[] = [{
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: objectMeta(input, canaryName(input.name)),
    spec: {
      replicas: canary.replicas ?? 1,
      selector: { matchLabels: { [SERVICE_LABEL]: input.name, [TRACK_LABEL]: "canary" } },
      template: podTemplate(input, "canary", canary.containers),
    },
  }, {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: objectMeta(input),
    spec: {
      host,
      subsets: (["stable", "canary"] as const).map((track) => ({
        name: track,
        labels: { [TRACK_LABEL]: track },
      })),
    },
  }];
  const route = [
    { destination: { host, subset: "stable" }, weight: 100 - canary.weight },
    { destination: { host, subset: "canary" }, weight: canary.weight },
  ];
  out.push({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: objectMeta(input),
    spec: { hosts: [host], http: [{ route }] },
  });
  return out;
}
