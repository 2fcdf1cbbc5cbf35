/** Names and labels shared by every object of the Lattice bundle. */
import { LATTICE_VERSION } from "../version.ts";

/** The namespace Lattice runs in, on every cluster. */
export const NAMESPACE = "lattice-system";
/** ServiceAccount, Deployment, Service and RBAC name of the operator. */
export const OPERATOR_NAME = "lattice-operator";
/** The Secret holding the agent's client certificate, CA bundle, endpoint and (locally) key. */
export const AGENT_SECRET_NAME = "lattice-agent";
/** Where the operator container mounts the agent Secret. */
export const AGENT_MOUNT_PATH = "/etc/lattice/agent";
/** Keys of the agent Secret. */
export const AGENT_SECRET_KEYS = {
  certificate: "tls.crt",
  privateKey: "tls.key",
  caBundle: "ca.crt",
  endpoint: "endpoint",
  cluster: "cluster",
} as const;
/** Port of `/healthz`, `/readyz` and `/metrics`. */
export const HEALTH_PORT = 8081;
/** Default cell ports (LatticeCluster `spec.cell.ports`). */
export const DEFAULT_HTTPS_PORT = 8443;
/** Default agent gRPC port. */
export const DEFAULT_GRPC_PORT = 50051;
/** Default operator image. */
export const DEFAULT_IMAGE = `ghcr.io/lattice-dev/lattice:${LATTICE_VERSION}`;
/** Field manager of everything `lattice join` applies. */
export const JOIN_FIELD_MANAGER = "lattice-join";

/** Labels on every bundle object. */
export function commonLabels(component = "operator"): Record<string, string> {
  return {
    "app.kubernetes.io/name": "lattice",
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": "lattice",
    "app.kubernetes.io/version": LATTICE_VERSION,
    "app.kubernetes.io/managed-by": "lattice",
  };
}

/** The pod selector of the operator (stable across versions, unlike commonLabels). */
export function selectorLabels(): Record<string, string> {
  return { "app.kubernetes.io/name": "lattice", "app.kubernetes.io/component": "operator" };
}
