/**
 * A service repository for the sandbox and its tests: a real git repository holding a
 * Deployment + Service + ConfigMap under `deploy/` (kustomize), a DaemonSet-only variant
 * under `daemon/`, tagged releases, served by the sandbox's git server like any remote.
 */
import { stringify } from "yaml";
import { sandboxGit } from "./gitops_repo.ts";

const git = sandboxGit;

/** The manifests of one release of a service (`version` lands in the ConfigMap). */
export function serviceManifests(
  name: string,
  version: string,
  options: { headless?: boolean } = {},
): Record<string, string> {
  const labels = { app: name };
  const docs = {
    "deployment.yaml": {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [{
              name: "app",
              image: `registry.example/${name}:${version}`,
              env: [{ name: "FROM_MANIFEST", value: "kept" }],
              envFrom: [{ configMapRef: { name: `${name}-config` } }],
            }],
          },
        },
      },
    },
    "service.yaml": {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, labels },
      spec: {
        ...(options.headless ? { clusterIP: "None" } : {}),
        selector: labels,
        ports: [{ name: "http", port: 80, targetPort: 8080 }],
      },
    },
    "configmap.yaml": {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${name}-config`, labels },
      data: { version },
    },
  };
  const files: Record<string, string> = {};
  for (const [f, doc] of Object.entries(docs)) files[f] = stringify(doc);
  files["kustomization.yaml"] = stringify({
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: Object.keys(docs),
  });
  return files;
}

/** A DaemonSet-only service (no replicas to override). */
export function daemonManifests(name: string): Record<string, string> {
  const labels = { app: name };
  return {
    "daemonset.yaml": stringify({
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name, labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "agent", image: `registry.example/${name}:1` }] },
        },
      },
    }),
    "kustomization.yaml": stringify({
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: ["daemonset.yaml"],
    }),
  };
}

/** Writes `files` under `dir/sub`. */
export async function writeFiles(dir: string, sub: string, files: Record<string, string>) {
  await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${sub}/${f}`, text);
  }
}

/** Commits everything; tags the commit when `tag` is given; answers the commit. */
export async function commitRepo(dir: string, message: string, tag?: string): Promise<string> {
  await git(dir, "add", "-A");
  await git(dir, "commit", "-q", "--allow-empty", "-m", message);
  if (tag) await git(dir, "tag", tag);
  return await git(dir, "rev-parse", "HEAD");
}

/**
 * Creates the repository `dir` (branch main): release v1.0.0 and v2.0.0 of `name` under
 * `deploy/` (tagged), a `daemon/` variant, and `deploy-alt/` (a second release line, used
 * as another registration's path). Answers the commits by tag.
 */
export async function createServiceRepo(
  dir: string,
  name: string,
  options: { headless?: boolean } = {},
): Promise<Record<string, string>> {
  await Deno.mkdir(dir, { recursive: true });
  await git(dir, "init", "-q", "-b", "main");
  await writeFiles(dir, "deploy", serviceManifests(name, "v1.0.0", options));
  await writeFiles(dir, "daemon", daemonManifests(`${name}-agent`));
  await writeFiles(dir, "deploy-alt", serviceManifests(name, "alt", options));
  const v1 = await commitRepo(dir, "v1.0.0", "v1.0.0");
  await writeFiles(dir, "deploy", serviceManifests(name, "v2.0.0", options));
  const v2 = await commitRepo(dir, "v2.0.0", "v2.0.0");
  return { "v1.0.0": v1, "v2.0.0": v2 };
}
