/**
 * Provider components for the air-gapped capi-init tests: small but real clusterctl
 * components (a Namespace, the provider's credentials Secret naming its variables the way
 * the released components do, a Deployment) and metadata.yaml, per provider at the
 * versions Lattice vendors. They stand in for the release assets, which the module proxy
 * does not serve.
 */
import type { ComponentSet } from "../../lib/providers/mod.ts";
import { PROVIDER_VARIABLES } from "../../lib/providers/mod.ts";

/** Infrastructure provider versions (third_party/crds). */
export const INFRA_VERSIONS: Record<string, string> = {
  docker: "v1.14.0",
  aws: "v2.11.1",
  azure: "v1.26.0",
  gcp: "v1.12.0",
  openstack: "v0.14.7",
  proxmox: "v0.9.0",
};

function metadata(major: number, minor: number): string {
  return `apiVersion: clusterctl.cluster.x-k8s.io/v1alpha3
kind: Metadata
releaseSeries:
  - major: ${major}
    minor: ${minor}
    contract: v1beta2
`;
}

function components(namespace: string, variables: readonly string[]): string {
  const data = variables.map((v) => `  ${v.toLowerCase()}: "\${${v}}"`).join("\n");
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${namespace}
---
apiVersion: v1
kind: Secret
metadata:
  name: manager-bootstrap-credentials
  namespace: ${namespace}
type: Opaque
stringData:
${data || '  none: ""'}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller-manager
  namespace: ${namespace}
spec:
  selector:
    matchLabels: {control-plane: controller-manager}
  template:
    metadata:
      labels: {control-plane: controller-manager}
    spec:
      containers:
        - name: manager
          image: registry.k8s.io/example/manager:v0.0.0
`;
}

function version(v: string): [number, number] {
  const [major, minor] = v.slice(1).split(".").map(Number);
  return [major, minor];
}

/** Component sets of core, kubeadm, the given infrastructure providers and cert-manager. */
export function fixtureComponentSets(infra: readonly string[]): ComponentSet[] {
  const sets: ComponentSet[] = [
    {
      type: "core",
      name: "cluster-api",
      version: "v1.14.0",
      files: {
        "core-components.yaml": components("capi-system", []),
        "metadata.yaml": metadata(1, 14),
      },
    },
    ...(["bootstrap", "control-plane"] as const).map((type) => ({
      type,
      name: "kubeadm",
      version: "v1.14.0",
      files: {
        [`${type}-components.yaml`]: components(`capi-kubeadm-${type}-system`, []),
        "metadata.yaml": metadata(1, 14),
      },
    })),
    ...infra.map((name) => ({
      type: "infrastructure" as const,
      name,
      version: INFRA_VERSIONS[name],
      files: {
        "infrastructure-components.yaml": components(
          `cap${name[0]}-system`,
          PROVIDER_VARIABLES[name] ?? [],
        ),
        "metadata.yaml": metadata(...version(INFRA_VERSIONS[name])),
      },
    })),
    {
      type: "cert-manager",
      name: "cert-manager",
      version: "v1.19.1",
      files: { "cert-manager.yaml": components("cert-manager", []) },
    },
  ];
  return sets;
}
