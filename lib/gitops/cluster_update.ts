/**
 * Edits of one existing cluster.yaml (scale, upgrade, Flux pin/suspend) and of the repo
 * config (global Flux version). Each changes the fields in place: comments, key order and
 * quoting of the rest of the file stay as the user wrote them.
 */
import { API_VERSION, LatticeClusterSchema, LatticeRepoConfigSchema } from "../api/mod.ts";
import { Changeset } from "./changes.ts";
import { assertValid, readForEdit } from "./_edit.ts";
import { RepoError } from "./errors.ts";
import { abs, exists } from "./fs.ts";
import { findCluster, scanHierarchy } from "./hierarchy.ts";
import { clusterFile, CONFIG_FILE } from "./layout.ts";
import { fluxVersionProblem, k8sVersionProblem, upgradeProblem } from "./versions.ts";
import { editScalars, getValue, newDocument, renderDocument, type ScalarEdit } from "./yaml_doc.ts";

type Path = (string | number)[];
type FieldEdit = ScalarEdit;

/** Applies field edits to a cluster's file; validates the result before writing. */
async function editCluster(
  root: string,
  name: string,
  action: string,
  build: (current: (path: Path) => unknown) => { edits: FieldEdit[]; note?: string },
) {
  const node = findCluster(scanHierarchy(root), name);
  const path = clusterFile(node.dir);
  const file = readForEdit(root, { path: path, action: action });
  const { edits, note } = build((p) => getValue(file.doc, p));
  const text = editScalars(file, edits);
  assertValid(LatticeClusterSchema, { value: file.doc.toJS(), action: action });
  const changes = new Changeset(root);
  changes.update(path, text, note);
  return await changes.apply();
}

/** Options of {@linkcode scaleCluster}. */
export interface ScaleClusterOptions {
  workers?: number;
  controlPlane?: number;
}

/** Sets the worker (and/or control-plane) count of a cluster. */
export function scaleCluster(root: string, name: string, options: ScaleClusterOptions) {
  const action = `scale cluster ${name}`;
  if (options.workers === undefined && options.controlPlane === undefined) {
    throw new RepoError(`Cannot ${action}: pass --workers N (or --control-plane-nodes N)`);
  }
  return editCluster(root, name, action, () => {
    const edits: FieldEdit[] = [];
    if (options.workers !== undefined) {
      edits.push({ path: ["spec", "nodes", "workers"], value: options.workers });
    }
    if (options.controlPlane !== undefined) {
      edits.push({ path: ["spec", "nodes", "controlPlane"], value: options.controlPlane });
    }
    return { edits };
  });
}

/** Options of {@linkcode upgradeCluster}. */
export interface UpgradeClusterOptions {
  /** The target Kubernetes version. */
  k8sVersion: string;
  /** Allow a downgrade or skipping minors. */
  force?: boolean;
}

/** Sets spec.provider.kubernetes.version, refusing downgrades and skipped minors. */
export function upgradeCluster(root: string, name: string, options: UpgradeClusterOptions) {
  const version = options.k8sVersion;
  const action = `upgrade cluster ${name} to ${version}`;
  const problem = k8sVersionProblem(version);
  if (problem) throw new RepoError(`Cannot ${action}: ${problem}`);
  const path = ["spec", "provider", "kubernetes", "version"];
  return editCluster(root, name, action, (current) => {
    const from = current(path);
    const step = typeof from === "string" ? upgradeProblem(from, version) : undefined;
    if (step && !options.force) {
      throw new RepoError(`Cannot ${action}: ${step} (--force overrides)`);
    }
    return { edits: [{ path, value: version, quote: true }] };
  });
}

/** Options of {@linkcode setFluxVersion}. */
export interface SetFluxVersionOptions {
  version: string;
  /** Pin this cluster (spec.flux.version) instead of the repository config. */
  cluster?: string;
}

/**
 * Sets the Flux version: of every cluster (.lattice/config.yaml, created when missing)
 * or, with `cluster`, pins one cluster's spec.flux.version.
 */
export function setFluxVersion(root: string, options: SetFluxVersionOptions) {
  return options.cluster === undefined
    ? setRepoFluxVersion(root, options.version)
    : setClusterFluxVersion(root, options.cluster, options.version);
}

function setClusterFluxVersion(root: string, name: string, version: string) {
  const action = `set the Flux version of ${name}`;
  const problem = fluxVersionProblem(version);
  if (problem) throw new RepoError(`Cannot ${action}: ${problem}`);
  return editCluster(root, name, action, () => ({
    edits: [{ path: ["spec", "flux", "version"], value: version, quote: true }],
  }));
}

/** Suspends (`suspend: true`) or resumes Flux on a cluster (spec.flux.suspend). */
export function setFluxSuspended(root: string, options: { cluster: string; suspend: boolean }) {
  const { cluster: name, suspend } = options;
  const action = `${suspend ? "suspend" : "resume"} Flux on ${name}`;
  return editCluster(root, name, action, () => ({
    edits: [{ path: ["spec", "flux", "suspend"], value: suspend }],
    note: `flux.suspend: ${suspend}`,
  }));
}

async function setRepoFluxVersion(root: string, version: string) {
  const action = "set the Flux version";
  const problem = fluxVersionProblem(version);
  if (problem) throw new RepoError(`Cannot ${action}: ${problem}`);
  const changes = new Changeset(root);
  if (!exists(abs(root, CONFIG_FILE))) {
    const value = {
      apiVersion: API_VERSION,
      kind: "LatticeRepoConfig",
      metadata: { name: "config" },
      spec: { flux: { version } },
    };
    changes.create(CONFIG_FILE, renderDocument(newDocument(value, [["spec", "flux", "version"]])));
  } else {
    const file = readForEdit(root, { path: CONFIG_FILE, action: action });
    const text = editScalars(file, [{
      path: ["spec", "flux", "version"],
      value: version,
      quote: true,
    }]);
    assertValid(LatticeRepoConfigSchema, { value: file.doc.toJS(), action: action });
    changes.update(CONFIG_FILE, text);
  }
  return await changes.apply();
}
