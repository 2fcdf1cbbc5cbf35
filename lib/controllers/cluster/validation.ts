/**
 * Semantic validation the CRD schema cannot express. Problems become a `SpecValid=False`
 * condition and a Warning event naming what to fix; they never crash a reconcile.
 */
import { providerOf } from "../../api/mod.ts";
import { compareVersions, versionParts } from "./capi_status.ts";
import type { ClusterObject } from "./types.ts";

// The apiserver's default --service-node-port-range.
const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

/** One thing wrong with a spec: a CamelCase reason and a message saying what to fix. */
export interface SpecProblem {
  reason: string;
  message: string;
}

/** What validation may look up besides the cluster itself. */
export interface ValidationContext {
  /** Whether a LatticeCluster named `name` exists here (for cellRef); omit to skip. */
  clusterExists?: (name: string) => boolean;
  /** The name of this cell (a cellRef to it is always valid). */
  cellName?: string;
}

/** Every problem of `cluster`'s spec, in a stable order; empty when valid. */
export function validateCluster(
  cluster: ClusterObject,
  context: ValidationContext = {},
): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const spec = cluster.spec;
  const status = cluster.status ?? {};

  const cellRef = spec.cellRef;
  if (
    cellRef !== undefined && context.clusterExists && cellRef !== context.cellName &&
    !context.clusterExists(cellRef)
  ) {
    problems.push({
      reason: "UnknownCellRef",
      message: `spec.cellRef names cell "${cellRef}", which does not exist here; ` +
        `set it to an existing cell${
          context.cellName ? ` (this cell is "${context.cellName}")` : ""
        }`,
    });
  }

  const cp = spec.nodes.controlPlane;
  if (cp % 2 === 0) {
    problems.push({
      reason: "EvenControlPlaneCount",
      message: `spec.nodes.controlPlane is ${cp}; etcd needs an odd number of members for ` +
        `quorum: use ${cp - 1} or ${cp + 1}`,
    });
  }

  const desired = spec.provider.kubernetes.version;
  const running = status.kubernetesVersion;
  if (running) {
    if (compareVersions(desired, running) < 0) {
      problems.push({
        reason: "VersionDowngrade",
        message: `spec.provider.kubernetes.version ${desired} is older than the running ` +
          `${running}; Kubernetes cannot be downgraded: set it to ${running} or newer`,
      });
    } else {
      const [dMajor, dMinor] = versionParts(desired);
      const [rMajor, rMinor] = versionParts(running);
      if (dMajor !== rMajor || dMinor > rMinor + 1) {
        problems.push({
          reason: "VersionSkew",
          message: `spec.provider.kubernetes.version ${desired} skips minor versions from ` +
            `the running ${running}; upgrade one minor version at a time ` +
            `(next: ${rMajor}.${rMinor + 1}.x)`,
        });
      }
    }
  }

  problems.push(...cellProblems(spec.cell));

  const provider = providerOf(spec.provider.config);
  if (status.provider && status.provider !== provider) {
    problems.push({
      reason: "ProviderChanged",
      message: `spec.provider.config selects ${provider} but the cluster runs on ` +
        `${status.provider}; the provider of an existing cluster cannot change`,
    });
  }
  return problems;
}

/**
 * Problems of `spec.cell`. A NodePort cell exposes each endpoint on a nodePort equal to its
 * port, so children dial the number the cell listens on; it may omit host and advertise the
 * name of its node instead (on kind/CAPD, Docker's DNS resolves a node's name).
 */
function cellProblems(cell: ClusterObject["spec"]["cell"]): SpecProblem[] {
  // `cell: {enabled: false}` is a leaf: nothing about a cell's endpoints applies.
  if (!cell || cell.enabled === false) return [];
  const problems: SpecProblem[] = [];
  const type = cell.service?.type;
  if (cell.host === undefined && type !== "NodePort") {
    problems.push({
      reason: "MissingCellHost",
      message: `spec.cell.host is not set; it may be omitted only when ` +
        `spec.cell.service.type is NodePort (it is ${type ?? "unset"}): set spec.cell.host ` +
        `to the address children dial, or use NodePort`,
    });
  }
  if (type === "NodePort") {
    const { min, max } = NODE_PORT_RANGE;
    const inRange = (port: number | undefined) => port !== undefined && port >= min && port <= max;
    const https = cell.ports?.https;
    const grpc = cell.ports?.grpc;
    if (!inRange(https) || !inRange(grpc)) {
      problems.push({
        reason: "InvalidNodePorts",
        message: `spec.cell.service.type is NodePort, so spec.cell.ports.https and ` +
          `spec.cell.ports.grpc must both be set to ports in ${min}-${max} (the Service's ` +
          `nodePort equals the port, so children dial the port the cell listens on); ` +
          `got https ${https ?? "unset"}, grpc ${grpc ?? "unset"}`,
      });
    }
  }
  return problems;
}
