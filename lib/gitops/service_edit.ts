/**
 * The service catalog: registrations (registrations/NAME.yaml at the root or a cell) and
 * placements (placements/NAME.yaml of a cluster). A placement's service must be
 * registered on the cluster itself or one of its ancestors.
 */
import {
  API_VERSION,
  DNS1123_LABEL,
  LatticeServicePlacementSchema,
  LatticeServiceRegistrationSchema,
} from "../api/mod.ts";
import { Changeset } from "./changes.ts";
import { addToFolder, assertValid, editKustomization, readForEdit } from "./_edit.ts";
import { RepoError } from "./errors.ts";
import { abs, exists } from "./fs.ts";
import { type ClusterNode, findCluster, lineage, scanHierarchy } from "./hierarchy.ts";
import { joinPath, PLACEMENTS_DIR, REGISTRATIONS_DIR } from "./layout.ts";
import { editScalars, newDocument, renderDocument } from "./yaml_doc.ts";

/** Options of {@linkcode registerService}. */
export interface RegisterServiceOptions {
  gitUrl: string;
  /** Path of the manifests in the service's repository (default `./`). */
  gitPath?: string;
  branch?: string;
  tag?: string;
  defaultReplicas?: number;
  /** Register in this cell's catalog instead of the root's. */
  cluster?: string;
}

/** Writes `folder/<name>.yaml` of a cluster and lists it in that folder's kustomization. */
async function createListed(
  root: string,
  node: ClusterNode,
  folder: string,
  name: string,
  value: Record<string, unknown>,
) {
  const changes = new Changeset(root);
  changes.create(joinPath(node.dir, folder, `${name}.yaml`), renderDocument(newDocument(value)));
  addToFolder(changes, {
    clusterDir: node.dir,
    folder,
    hasFolder: node.subdirs.has(folder),
    entry: `${name}.yaml`,
  });
  return await changes.apply();
}

function checkName(name: string, action: string): void {
  if (name.length > 63 || !new RegExp(DNS1123_LABEL).test(name)) {
    throw new RepoError(
      `Cannot ${action}: the name must be a lowercase DNS-1123 label (a-z, 0-9, '-'; at most 63)`,
    );
  }
}

/** Writes registrations/NAME.yaml and lists it in its kustomization. */
export async function registerService(
  root: string,
  name: string,
  options: RegisterServiceOptions,
) {
  const action = `register service ${name}`;
  checkName(name, action);
  if (options.branch !== undefined && options.tag !== undefined) {
    throw new RepoError(`Cannot ${action}: pass --branch or --tag, not both`);
  }
  const hierarchy = scanHierarchy(root);
  const node = options.cluster ? findCluster(hierarchy, options.cluster) : hierarchy.rootNode;
  const path = joinPath(node.dir, REGISTRATIONS_DIR, `${name}.yaml`);
  if (exists(abs(root, path))) throw new RepoError(`Cannot ${action}: ${path} already exists`);
  const git: Record<string, string> = { url: options.gitUrl, path: options.gitPath ?? "./" };
  if (options.tag !== undefined) git.tag = options.tag;
  else git.branch = options.branch ?? "main";
  const spec: Record<string, unknown> = { source: { git } };
  if (options.defaultReplicas !== undefined) {
    spec.defaults = { replicas: options.defaultReplicas };
  }
  const value = {
    apiVersion: API_VERSION,
    kind: "LatticeServiceRegistration",
    metadata: { name },
    spec,
  };
  assertValid(LatticeServiceRegistrationSchema, { value: value, action: action });
  return await createListed(root, node, REGISTRATIONS_DIR, name, value);
}

/** The registration a cluster's placement of `service` resolves to, nearest first. */
export function resolveRegistration(
  root: string,
  placement: { node: ClusterNode; service: string },
): { scope: ClusterNode; path: string } | undefined {
  const { node, service } = placement;
  for (const scope of lineage(node)) {
    const path = joinPath(scope.dir, REGISTRATIONS_DIR, `${service}.yaml`);
    if (scope.subdirs.has(REGISTRATIONS_DIR) && exists(abs(root, path))) return { scope, path };
  }
  return undefined;
}

/** Options of {@linkcode createPlacement}. */
export interface CreatePlacementOptions {
  cluster: string;
  tag?: string;
  branch?: string;
  replicas?: number;
  /** `KEY=VALUE` strings. */
  env?: string[];
}

/** Writes placements/SERVICE.yaml of a cluster and lists it in its kustomization. */
export async function createPlacement(
  root: string,
  service: string,
  options: CreatePlacementOptions,
) {
  const action = `place ${service} on ${options.cluster}`;
  checkName(service, action);
  if (options.branch !== undefined && options.tag !== undefined) {
    throw new RepoError(`Cannot ${action}: pass --tag or --branch, not both`);
  }
  const node = findCluster(scanHierarchy(root), options.cluster);
  if (!resolveRegistration(root, { node, service })) {
    throw new RepoError(
      `Cannot ${action}: service '${service}' is not registered for ${node.name} (looked in ` +
        `registrations of ${lineage(node).map((n) => n.name).join(", ")}); ` +
        `register it first with 'lattice service register ${service} --git-url URL'`,
    );
  }
  const path = joinPath(node.dir, PLACEMENTS_DIR, `${service}.yaml`);
  if (exists(abs(root, path))) {
    throw new RepoError(`Cannot ${action}: ${path} already exists (use 'placement scale')`);
  }
  const spec: Record<string, unknown> = { serviceRef: service };
  if (options.tag !== undefined) spec.sourceOverride = { tag: options.tag };
  if (options.branch !== undefined) spec.sourceOverride = { branch: options.branch };
  const overrides: Record<string, unknown> = {};
  if (options.replicas !== undefined) overrides.replicas = options.replicas;
  if (options.env?.length) overrides.env = parseEnv(options.env, action);
  if (Object.keys(overrides).length > 0) spec.overrides = overrides;
  const value = {
    apiVersion: API_VERSION,
    kind: "LatticeServicePlacement",
    metadata: { name: service },
    spec,
  };
  assertValid(LatticeServicePlacementSchema, { value: value, action: action });
  return await createListed(root, node, PLACEMENTS_DIR, service, value);
}

function parseEnv(pairs: string[], action: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new RepoError(
        `Cannot ${action}: --env ${pair} must be KEY=VALUE with KEY like LOG_LEVEL`,
      );
    }
    env[key] = pair.slice(eq + 1);
  }
  return env;
}

function placementPath(root: string, service: string, cluster: string, action: string) {
  const node = findCluster(scanHierarchy(root), cluster);
  const path = joinPath(node.dir, PLACEMENTS_DIR, `${service}.yaml`);
  if (!exists(abs(root, path))) {
    throw new RepoError(`Cannot ${action}: ${service} is not placed on ${cluster} (no ${path})`);
  }
  return { node, path };
}

/** Sets spec.overrides.replicas of a placement. */
export async function scalePlacement(
  root: string,
  service: string,
  options: { cluster: string; replicas: number },
) {
  const action = `scale ${service} on ${options.cluster}`;
  const { path } = placementPath(root, service, options.cluster, action);
  const file = readForEdit(root, { path: path, action: action });
  const text = editScalars(file, [{
    path: ["spec", "overrides", "replicas"],
    value: options.replicas,
  }]);
  assertValid(LatticeServicePlacementSchema, { value: file.doc.toJS(), action: action });
  const changes = new Changeset(root);
  changes.update(path, text);
  return await changes.apply();
}

/** Removes a placement file and its kustomization entry. */
export async function deletePlacement(root: string, service: string, options: { cluster: string }) {
  const action = `remove ${service} from ${options.cluster}`;
  const { node, path } = placementPath(root, service, options.cluster, action);
  const changes = new Changeset(root);
  changes.remove(path);
  editKustomization(changes, {
    dir: joinPath(node.dir, PLACEMENTS_DIR),
    remove: [`${service}.yaml`],
  });
  return await changes.apply();
}
