/**
 * Names, labels and API resources of everything the mesh generates. Pods of a service carry
 * `lattice.dev/service: NAME` and run as ServiceAccount NAME: the SA is the service's
 * identity in both Cilium (`io.cilium.k8s.policy.serviceaccount`) and Istio (the SPIFFE
 * principal `cluster.local/ns/NS/sa/NAME`).
 */
import type { ResourceRef } from "../../kube/mod.ts";

/** Label of every object the mesh controllers generate. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
/** Its value. */
export const MESH_MANAGER = "lattice-mesh";
/** Label naming the LatticeService an object belongs to (pods, policies, ...). */
export const SERVICE_LABEL = "lattice.dev/service";
/** Label of pods: `stable` or `canary`. */
export const TRACK_LABEL = "lattice.dev/track";
/** Labels of a pair policy naming the caller. */
export const CALLER_LABEL = "lattice.dev/caller";
export const CALLER_NAMESPACE_LABEL = "lattice.dev/caller-namespace";
/** Label of namespaces created for an environment. */
export const ENVIRONMENT_LABEL = "lattice.dev/environment";
/** Annotation holding the hash of a generated object's content (skip unchanged applies). */
export const HASH_ANNOTATION = "lattice.dev/spec-hash";
/** Field manager of the mesh's server-side applies. */
export const MESH_FIELD_MANAGER = "lattice-mesh";
/** Field manager of LatticeService and LatticeEnvironment status. */
export const MESH_STATUS_MANAGER = "lattice-mesh-status";
/** Finalizer holding a LatticeService until its pair policies are gone. */
export const SERVICE_FINALIZER = "lattice.dev/service";

/** Cilium's pod labels (with the `k8s:` source prefix). */
export const CILIUM_NAMESPACE_KEY = "k8s:io.kubernetes.pod.namespace";
export const CILIUM_SA_KEY = "k8s:io.cilium.k8s.policy.serviceaccount";

/** The Istio mesh's root namespace, where mesh-wide policies live. */
export const MESH_ROOT_NAMESPACE = "istio-system";
/** The SPIFFE trust domain of principals. */
export const TRUST_DOMAIN = "cluster.local";

export { EXCLUDED_NAMESPACES, isExcludedNamespace } from "../../api/lattice_environment.ts";

/** The Istio principal of service `name` in `namespace`. */
export function principalOf(namespace: string, name: string): string {
  return `${TRUST_DOMAIN}/ns/${namespace}/sa/${name}`;
}

/**
 * Name of the policies of one pair, in the callee's namespace. Dots separate the parts
 * (DNS labels have none), so distinct pairs never share a name.
 */
export function pairPolicyName(callerNs: string, caller: string, callee: string): string {
  return `allow.${callerNs}.${caller}.to.${callee}`;
}

/** Name of the canary Deployment. */
export function canaryName(service: string): string {
  return `${service}-canary`;
}

const ref = (
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced = true,
): ResourceRef => ({ group, version, plural, kind, namespaced });

export const SERVICE_REF = ref("", "v1", "services", "Service");
export const SERVICE_ACCOUNT_REF = ref("", "v1", "serviceaccounts", "ServiceAccount");
export const NAMESPACE_REF = ref("", "v1", "namespaces", "Namespace", false);
export const HPA_REF = ref(
  "autoscaling",
  "v2",
  "horizontalpodautoscalers",
  "HorizontalPodAutoscaler",
);
export const CNP_REF = ref("cilium.io", "v2", "ciliumnetworkpolicies", "CiliumNetworkPolicy");
export const CCNP_REF = ref(
  "cilium.io",
  "v2",
  "ciliumclusterwidenetworkpolicies",
  "CiliumClusterwideNetworkPolicy",
  false,
);
export const AUTHZ_REF = ref(
  "security.istio.io",
  "v1",
  "authorizationpolicies",
  "AuthorizationPolicy",
);
export const VIRTUAL_SERVICE_REF = ref(
  "networking.istio.io",
  "v1",
  "virtualservices",
  "VirtualService",
);
export const DESTINATION_RULE_REF = ref(
  "networking.istio.io",
  "v1",
  "destinationrules",
  "DestinationRule",
);
