/**
 * The cross-field rules of a LatticeCluster, each declared once: zod runs `test`, the
 * generated CRD carries `cel`, and both report `message` at `field`. The schema in
 * lattice_cluster.ts attaches them; docs/validation.md lists them.
 */
import { cidrsOverlap } from "./ip.ts";
import { PROVIDERS } from "./providers.ts";
import { celString, type Rule, type TransitionRule } from "./rules.ts";

/** Pod CIDR when spec.networking.pods is unset. */
export const DEFAULT_POD_CIDR = "192.168.0.0/16";
/** Service CIDR when spec.networking.services is unset. */
export const DEFAULT_SERVICE_CIDR = "10.128.0.0/12";

/** The apiserver's default --service-node-port-range, which NodePort cells must use. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

/** `spec.nodes.controlPlane` is odd. */
export const ODD_CONTROL_PLANE: Rule<number> = {
  id: "EvenControlPlaneCount",
  // Counts below 1 (or not integers) are the schema's to report, once.
  cel: "self < 1 || self % 2 == 1",
  test: (n) => !Number.isInteger(n) || n < 1 || n % 2 === 1,
  message: "must be odd (1, 3, 5, ...): etcd needs an odd number of members to keep quorum",
};

/** The parts of `spec.cell` the rules read. */
export interface CellValue {
  enabled?: boolean;
  host?: string;
  service?: { type?: string };
  ports?: { https?: number; grpc?: number };
}

const CELL_DISABLED = "(has(self.enabled) && !self.enabled)";
const CELL_NODE_PORT = "(has(self.service) && has(self.service.type) && " +
  "self.service.type == 'NodePort')";
const disabled = (c: CellValue) => c.enabled === false;
const nodePort = (c: CellValue) => c.service?.type === "NodePort";

/** Rules of `spec.cell`. A disabled cell (a leaf) exposes nothing and needs neither. */
export const CELL_RULES: readonly Rule<CellValue>[] = [
  {
    id: "MissingCellHost",
    cel: `${CELL_DISABLED} || has(self.host) || ${CELL_NODE_PORT}`,
    test: (c) => disabled(c) || c.host !== undefined || nodePort(c),
    field: ["host"],
    reason: "FieldValueRequired",
    message: "is required for an enabled cell unless spec.cell.service.type is NodePort: set " +
      "it to the address (DNS name or IP) children dial, or use NodePort, or set " +
      "spec.cell.enabled to false",
  },
  {
    id: "InvalidNodePorts",
    cel: `${CELL_DISABLED} || !${CELL_NODE_PORT} || (has(self.ports) && ` +
      ["https", "grpc"].map((p) =>
        `has(self.ports.${p}) && self.ports.${p} >= ${NODE_PORT_RANGE.min} && ` +
        `self.ports.${p} <= ${NODE_PORT_RANGE.max}`
      ).join(" && ") + ")",
    test: (c) => {
      if (disabled(c) || !nodePort(c)) return true;
      const ok = (p: number | undefined) =>
        p !== undefined && p >= NODE_PORT_RANGE.min && p <= NODE_PORT_RANGE.max;
      return ok(c.ports?.https) && ok(c.ports?.grpc);
    },
    field: ["ports"],
    message: `must set both https and grpc to ports in ${NODE_PORT_RANGE.min}-` +
      `${NODE_PORT_RANGE.max} when spec.cell.service.type is NodePort (the Service's nodePort ` +
      "equals the port, so children dial the port the cell listens on)",
  },
];

/** The parts of `spec.networking` the rules read. */
export interface NetworkingValue {
  default?: { cidr?: string };
  pods?: string;
  services?: string;
}

const PODS_CEL = `(has(self.pods) ? self.pods : ${celString(DEFAULT_POD_CIDR)})`;
const SERVICES_CEL = `(has(self.services) ? self.services : ${celString(DEFAULT_SERVICE_CIDR)})`;
const POOL_CEL = "self.default.cidr";
const pods = (n: NetworkingValue) => n.pods ?? DEFAULT_POD_CIDR;
const services = (n: NetworkingValue) => n.services ?? DEFAULT_SERVICE_CIDR;

/** CEL: two CIDR expressions do not overlap (malformed ones are another rule's business). */
function disjointCel(a: string, b: string): string {
  return `!(isCIDR(${a}) && isCIDR(${b})) || ` +
    `!(cidr(${a}).containsCIDR(cidr(${b})) || cidr(${b}).containsCIDR(cidr(${a})))`;
}

const HAS_POOL = "has(self.default) && has(self.default.cidr)";

/** Rules of `spec.networking`: the three ranges are disjoint (defaults included). */
export const NETWORKING_RULES: readonly Rule<NetworkingValue>[] = [
  {
    id: "NetworkOverlap",
    cel: disjointCel(PODS_CEL, SERVICES_CEL),
    test: (n) => !cidrsOverlap(pods(n), services(n)),
    message: `pods (${DEFAULT_POD_CIDR} when omitted) and services ` +
      `(${DEFAULT_SERVICE_CIDR} when omitted) overlap: choose ranges that share no address`,
  },
  {
    id: "NetworkOverlap",
    cel: `!(${HAS_POOL}) || (${disjointCel(POOL_CEL, PODS_CEL)})`,
    test: (n) => n.default?.cidr === undefined || !cidrsOverlap(n.default.cidr, pods(n)),
    field: ["default", "cidr"],
    message: `overlaps the pod network (spec.networking.pods, ${DEFAULT_POD_CIDR} when ` +
      "omitted): LoadBalancer addresses must lie outside the pod and service ranges",
  },
  {
    id: "NetworkOverlap",
    cel: `!(${HAS_POOL}) || (${disjointCel(POOL_CEL, SERVICES_CEL)})`,
    test: (n) => n.default?.cidr === undefined || !cidrsOverlap(n.default.cidr, services(n)),
    field: ["default", "cidr"],
    message: `overlaps the service network (spec.networking.services, ${DEFAULT_SERVICE_CIDR} ` +
      "when omitted): LoadBalancer addresses must lie outside the pod and service ranges",
  },
];

/** The parts of a whole LatticeCluster the document rules read. */
export interface ClusterDocumentValue {
  metadata: { name?: string };
  spec: { cellRef?: string; provider: { config: Record<string, unknown> } };
  status?: { provider?: string };
}

/** Message of a provider switch after provisioning. */
export const PROVIDER_CHANGED_MESSAGE = "must keep the provider the cluster was provisioned " +
  "on (status.provider): a provisioned cluster cannot move to another infrastructure " +
  "provider; create a new cluster instead";

const known = PROVIDERS.map((p) => celString(p)).join(", ");

/** Message of a cellRef naming the cluster itself. */
export const SELF_CELL_REF_MESSAGE = "names the cluster itself: set it to the parent cell's " +
  "name, or omit it on the root cluster";

/** Rules over the whole document (CEL at the CRD's root, where metadata.name is visible). */
export const CLUSTER_DOCUMENT_RULES: readonly Rule<ClusterDocumentValue>[] = [{
  id: "SelfCellRef",
  cel: "!has(self.spec.cellRef) || self.spec.cellRef != self.metadata.name",
  test: (d) => d.spec.cellRef === undefined || d.spec.cellRef !== d.metadata.name,
  field: ["spec", "cellRef"],
  message: SELF_CELL_REF_MESSAGE,
}, {
  // Until the operator records status.provider (the CAPI objects are applied) the provider
  // may still change, e.g. to fix a typo; after that it is fixed.
  id: "ProviderChanged",
  cel: `!has(self.status) || !has(self.status.provider) || ` +
    `!(self.status.provider in [${known}]) || ` +
    PROVIDERS.map((p) =>
      `(self.status.provider == ${celString(p)} && has(self.spec.provider.config.${p}))`
    ).join(" || "),
  test: (d) => {
    const running = d.status?.provider;
    if (!running || !(PROVIDERS as readonly string[]).includes(running)) return true;
    return d.spec.provider.config[running] !== undefined;
  },
  field: ["spec", "provider", "config"],
  message: PROVIDER_CHANGED_MESSAGE,
}];

/** The parts of `spec` the transition rules read. */
export interface SpecTransitionValue {
  provider: { kubernetes: { bootstrap?: string } };
  networking?: { pods?: string; services?: string };
}

const bootstrapCel = (s: string) =>
  `(has(${s}.provider.kubernetes.bootstrap) ? ${s}.provider.kubernetes.bootstrap : 'kubeadm')`;
const netCel = (s: string, f: "pods" | "services", dflt: string) =>
  `(has(${s}.networking) && has(${s}.networking.${f}) ? ${s}.networking.${f} : ` +
  `${celString(dflt)})`;

/**
 * Fields of `spec` that cannot change once the cluster exists (CEL `oldSelf`). The
 * provider is fixed by a document rule instead, once status.provider records it.
 */
export const SPEC_TRANSITION_RULES: readonly TransitionRule<SpecTransitionValue>[] = [
  {
    id: "BootstrapChanged",
    cel: `${bootstrapCel("self")} == ${bootstrapCel("oldSelf")}`,
    test: (s, o) =>
      (s.provider.kubernetes.bootstrap ?? "kubeadm") ===
        (o.provider.kubernetes.bootstrap ?? "kubeadm"),
    field: ["provider", "kubernetes", "bootstrap"],
    message: "is immutable: an existing cluster keeps its bootstrap (kubeadm or rke2); " +
      "create a new cluster to change it",
  },
  {
    id: "NetworkChanged",
    cel: `${netCel("self", "pods", DEFAULT_POD_CIDR)} == ` +
      netCel("oldSelf", "pods", DEFAULT_POD_CIDR),
    test: (s, o) =>
      (s.networking?.pods ?? DEFAULT_POD_CIDR) === (o.networking?.pods ?? DEFAULT_POD_CIDR),
    field: ["networking", "pods"],
    message: `is immutable (${DEFAULT_POD_CIDR} when omitted): a running cluster's pod ` +
      "network cannot be renumbered; restore the previous value",
  },
  {
    id: "NetworkChanged",
    cel: `${netCel("self", "services", DEFAULT_SERVICE_CIDR)} == ` +
      netCel("oldSelf", "services", DEFAULT_SERVICE_CIDR),
    test: (s, o) =>
      (s.networking?.services ?? DEFAULT_SERVICE_CIDR) ===
        (o.networking?.services ?? DEFAULT_SERVICE_CIDR),
    field: ["networking", "services"],
    message: `is immutable (${DEFAULT_SERVICE_CIDR} when omitted): a running cluster's ` +
      "service network cannot be renumbered; restore the previous value",
  },
];
