/**
 * Reading Cluster API status (v1beta2): is the control plane up, how many nodes are
 * ready, which version runs, has an upgrade finished. Pure functions over plain objects.
 */
import type { KubeObject } from "../../kube/mod.ts";

type Json = Record<string, unknown>;

function obj(value: unknown): Json {
  return value !== null && typeof value === "object" ? value as Json : {};
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** A v1beta2 condition of `o` by type. */
export function capiCondition(o: KubeObject | undefined, type: string): Json | undefined {
  const list = obj(o?.status).conditions;
  return Array.isArray(list) ? list.map(obj).find((c) => c.type === type) : undefined;
}

/**
 * True once CAPI reports the control plane initialized: `status.initialization
 * .controlPlaneInitialized` or the `ControlPlaneInitialized` / `ControlPlaneAvailable`
 * condition.
 */
export function controlPlaneReady(cluster: KubeObject | undefined): boolean {
  if (!cluster) return false;
  if (obj(obj(cluster.status).initialization).controlPlaneInitialized === true) return true;
  return ["ControlPlaneInitialized", "ControlPlaneAvailable"]
    .some((t) => capiCondition(cluster, t)?.status === "True");
}

/** Node counts: ready and total. */
export interface NodeCounts {
  ready: number;
  total: number;
}

/** Ready/total nodes from the CAPI Cluster's control plane and worker summaries. */
export function nodeCounts(cluster: KubeObject | undefined): NodeCounts {
  const status = obj(cluster?.status);
  const cp = obj(status.controlPlane);
  const workers = obj(status.workers);
  return {
    ready: num(cp.readyReplicas) + num(workers.readyReplicas),
    total: num(cp.replicas) + num(workers.replicas),
  };
}

/** `v1.31.0+rke2r1` → `1.31.0`. */
export function plainVersion(version: string): string {
  return version.replace(/^v/, "").replace(/\+.*$/, "").replace(/-.*$/, "");
}

/** Numeric [major, minor, patch] of a version string; NaN parts when unparsable. */
export function versionParts(version: string): [number, number, number] {
  const [a, b, c] = plainVersion(version).split(".").map((p) => Number.parseInt(p, 10));
  return [a, b, c];
}

/** Compares versions numerically: negative when `a < b`. */
export function compareVersions(a: string, b: string): number {
  const pa = versionParts(a);
  const pb = versionParts(b);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/** The lowest version the CAPI Cluster reports for its control plane, plain. */
export function controlPlaneVersion(cluster: KubeObject | undefined): string | undefined {
  const versions = obj(obj(cluster?.status).controlPlane).versions;
  if (!Array.isArray(versions)) return undefined;
  const list = versions.map((v) => obj(v).version).filter((v): v is string =>
    typeof v === "string"
  );
  if (list.length === 0) return undefined;
  return plainVersion(list.sort(compareVersions)[0]);
}

/**
 * True when a control plane object (KCP or RKE2ControlPlane) runs `version` on all its
 * machines: status is current, reports that version, and every replica is up to date.
 */
export function controlPlaneAt(cp: KubeObject, version: string): boolean {
  const status = obj(cp.status);
  const spec = obj(cp.spec);
  const generation = num(obj(cp.metadata).generation);
  if (num(status.observedGeneration) < generation) return false;
  if (typeof status.version !== "string") return false;
  if (compareVersions(status.version, version) !== 0) return false;
  return num(status.upToDateReplicas) >= num(spec.replicas);
}
