/**
 * The policies of the mesh, as pure functions of an agreed pair: one CiliumNetworkPolicy
 * (L4: the callee's endpoints accept the caller's endpoints on the agreed ports only) and
 * one Istio AuthorizationPolicy (L7: the callee's workload allows the caller's SPIFFE
 * principal on those ports). Both live in the callee's namespace and select endpoints by
 * service identity (the ServiceAccount).
 */
import type { KubeObject, OwnerReference } from "../../kube/mod.ts";
import type { Pair } from "./agreement.ts";
import {
  CALLER_LABEL,
  CALLER_NAMESPACE_LABEL,
  CILIUM_NAMESPACE_KEY,
  CILIUM_SA_KEY,
  MANAGED_BY_LABEL,
  MESH_MANAGER,
  pairPolicyName,
  principalOf,
  SERVICE_LABEL,
} from "./names.ts";

/** Labels of a pair's policies (the callee owns them). */
export function pairLabels(pair: Pair): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MESH_MANAGER,
    [SERVICE_LABEL]: pair.callee,
    [CALLER_LABEL]: pair.caller,
    [CALLER_NAMESPACE_LABEL]: pair.callerNamespace,
  };
}

function meta(pair: Pair, owner?: OwnerReference) {
  return {
    name: pairPolicyName(pair.callerNamespace, pair.caller, pair.callee),
    namespace: pair.calleeNamespace,
    labels: pairLabels(pair),
    ...(owner ? { ownerReferences: [owner] } : {}),
  };
}

/** The CiliumNetworkPolicy of an agreed pair. */
export function ciliumPairPolicy(pair: Pair, owner?: OwnerReference): KubeObject {
  return {
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    metadata: meta(pair, owner),
    spec: {
      description: `Lattice mesh: ${pair.callerNamespace}/${pair.caller} may call ` +
        `${pair.calleeNamespace}/${pair.callee} (both sides agree)`,
      endpointSelector: { matchLabels: { [CILIUM_SA_KEY]: pair.callee } },
      ingress: [{
        fromEndpoints: [{
          matchLabels: {
            [CILIUM_SA_KEY]: pair.caller,
            [CILIUM_NAMESPACE_KEY]: pair.callerNamespace,
          },
        }],
        toPorts: [{
          ports: pair.ports.map((p) => ({ port: String(p.port), protocol: p.protocol })),
        }],
      }],
    },
  };
}

/** The Istio AuthorizationPolicy of an agreed pair. */
export function istioPairPolicy(pair: Pair, owner?: OwnerReference): KubeObject {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: meta(pair, owner),
    spec: {
      selector: { matchLabels: { [SERVICE_LABEL]: pair.callee } },
      action: "ALLOW",
      rules: [{
        from: [{ source: { principals: [principalOf(pair.callerNamespace, pair.caller)] } }],
        to: [{ operation: { ports: pair.ports.map((p) => String(p.port)) } }],
      }],
    },
  };
}

/** Both policies of a pair. */
export function pairPolicies(pair: Pair, owner?: OwnerReference): KubeObject[] {
  return [ciliumPairPolicy(pair, owner), istioPairPolicy(pair, owner)];
}
