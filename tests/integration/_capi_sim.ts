/**
 * Helpers for the tests that check the CAPI simulator's object graph with the REAL
 * clusterctl v1.14.0 (built by scripts/install_clusterctl.sh): applying a LatticeCluster's
 * generated objects so the simulator can play them, running clusterctl, and parsing its
 * `describe cluster` tree and `move --dry-run` log.
 */
import { generateCapiObjects, type KubeObject } from "../../lib/capi/mod.ts";
import type { LatticeCluster } from "../../lib/api/mod.ts";
import type { KubeClient } from "../../lib/kube/mod.ts";
import { isAlreadyExists } from "../../lib/kube/mod.ts";
import { type ControlPlane, resolveClusterctl } from "../../lib/sandbox/mod.ts";
import { testBootstrap } from "../capi/fixtures.ts";

type Spec = Record<string, unknown>;

/**
 * Applies `cluster`'s generated CAPI objects with post-bootstrap commands replaced by `true`
 * (no cell answers the join here) and the token Secret their files read (the Secrets a
 * provider writes, like CAPZ's azure-json, are the simulator's). Returns the namespace.
 */
export async function applyGenerated(client: KubeClient, cluster: LatticeCluster) {
  const bootstrap = testBootstrap();
  const manifests = generateCapiObjects(cluster, bootstrap);
  const cp = manifests.controlPlane as KubeObject & { spec: Spec };
  if (cp.kind === "RKE2ControlPlane") cp.spec.postRKE2Commands = ["true"];
  else (cp.spec.kubeadmConfigSpec as Spec).postKubeadmCommands = ["true"];
  const [namespace, ...rest] = manifests.objects;
  await client.apply(namespace);
  const files =
    (cp.kind === "RKE2ControlPlane" ? cp.spec.files : (cp.spec.kubeadmConfigSpec as Spec).files) as
      | { contentFrom?: { secret?: { name: string; key: string } } }[]
      | undefined;
  const secrets = new Map<string, Record<string, string>>();
  for (const f of files ?? []) {
    const from = f.contentFrom?.secret;
    // `<template>-azure-json` is CAPZ's to write (the simulator plays it).
    if (from && !from.name.endsWith("-azure-json")) {
      secrets.set(from.name, { ...secrets.get(from.name), [from.key]: "s3cret" });
    }
  }
  for (const [name, stringData] of secrets) {
    await client.create({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: manifests.namespace },
      stringData,
    }).catch((e) => {
      if (!isAlreadyExists(e)) throw e;
    });
  }
  for (const obj of rest) await client.apply(obj);
  return { namespace: manifests.namespace, manifests };
}

/** Runs the real clusterctl against `plane`; throws with its output when it fails. */
export async function clusterctl(plane: ControlPlane, args: string[]): Promise<string> {
  const bin = await resolveClusterctl();
  if (!bin) {
    throw new Error(
      "clusterctl is not built: run scripts/install_clusterctl.sh (deno task test does)",
    );
  }
  const out = await new Deno.Command(bin, {
    args: [...args, "--kubeconfig", plane.kubeconfigPath],
    env: { CLUSTERCTL_DISABLE_VERSIONCHECK: "true", HOME: `${plane.dir}` },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`clusterctl ${args.join(" ")} failed:\n${text}`);
  return text;
}

/** `Kind/name` of every object `clusterctl move --dry-run -v 1` would create, in order. */
export function parseMoveDryRun(log: string): string[] {
  const out: string[] = [];
  for (const match of log.matchAll(/^Creating (\w+)="([^"]+)" Namespace="[^"]*"$/gm)) {
    out.push(`${match[1]}/${match[2]}`);
  }
  return out;
}

/**
 * The parent of each object row of a `clusterctl describe cluster` tree, as `Kind/name` →
 * `Kind/name` (group rows such as "Workers" and "Templates" are skipped over).
 */
export function describeParents(text: string): Map<string, string> {
  // Depth from the raw line prefix: group rows ("Workers", "Templates") take a level too.
  const lines = text.split("\n").filter((l) => /^[│├└─ ]*\S/.test(l));
  const stack: { depth: number; key: string }[] = [];
  const parents = new Map<string, string>();
  for (const line of lines) {
    const prefix = line.match(/^([│├└─ ]*)/)![1].length;
    const match = line.slice(prefix).match(/^(\w+) ([\w.-]+)\/([\w.-]+)/);
    const key = match ? `${match[1]}/${match[3]}` : line.slice(prefix).split(/\s/)[0];
    while (stack.length && stack[stack.length - 1].depth >= prefix) stack.pop();
    const parent = [...stack].reverse().find((s) => s.key.includes("/"));
    if (match && parent) parents.set(key, parent.key);
    stack.push({ depth: prefix, key });
  }
  return parents;
}
