/**
 * Cluster repositories for the GitOps tests and the CLI benchmark: the spec's complete
 * structure (gitops.md), written file by file, plus an in-process CLI runner.
 */
import { type CliContext, rootCommand, runCli } from "../../lib/cli/mod.ts";

/** Options of {@linkcode clusterYaml}. */
export interface ClusterYamlOptions {
  parent?: string;
  cell?: boolean;
  workers?: number;
  region?: string;
}

/** A cluster.yaml as a person would write it (with a comment). */
export function clusterYaml(name: string, options: ClusterYamlOptions = {}): string {
  return [
    "apiVersion: lattice.dev/v1alpha1",
    "kind: LatticeCluster",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    "  provider:",
    "    kubernetes:",
    '      version: "1.31.0"',
    "      bootstrap: rke2",
    "    config:",
    "      aws:",
    `        region: ${options.region ?? "us-west-2"}`,
    "  nodes:",
    "    controlPlane: 3",
    `    workers: ${options.workers ?? 2}`,
    ...(options.parent ? [`  cellRef: ${options.parent}`] : []),
    ...(options.cell ? ["  cell:", "    enabled: true", `    host: ${name}.cells.acme.dev`] : []),
    "",
  ].join("\n");
}

/** A kustomization.yaml listing `resources`. */
export function kustomization(resources: string[]): string {
  const list = resources.length === 0
    ? " []\n"
    : `\n${resources.map((r) => `  - ${r}\n`).join("")}`;
  return `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:${list}`;
}

/** Where a fixture registration points: git URL, path and a branch or (v…) tag. */
export interface RegistrationSource {
  url: string;
  path: string;
  ref: string;
}

/** A registration file. */
export function registrationYaml(name: string, source: RegistrationSource): string {
  const { url, path, ref } = source;
  const [key, value] = ref.startsWith("v") ? ["tag", ref] : ["branch", ref];
  return `apiVersion: lattice.dev/v1alpha1\nkind: LatticeServiceRegistration\nmetadata:\n` +
    `  name: ${name}\nspec:\n  source:\n    git:\n      url: ${url}\n      path: ${path}\n` +
    `      ${key}: ${value}\n  defaults:\n    replicas: 1\n`;
}

/** A placement file. */
export function placementYaml(name: string, options: { tag?: string; replicas?: number } = {}) {
  let text = `apiVersion: lattice.dev/v1alpha1\nkind: LatticeServicePlacement\nmetadata:\n` +
    `  name: ${name}\nspec:\n  serviceRef: ${name}\n`;
  if (options.tag) text += `  sourceOverride:\n    tag: ${options.tag}\n`;
  if (options.replicas !== undefined) text += `  overrides:\n    replicas: ${options.replicas}\n`;
  return text;
}

/** .lattice/config.yaml of the spec, comments included. */
export const CONFIG_YAML = `apiVersion: lattice.dev/v1alpha1
kind: LatticeRepoConfig
metadata:
  name: config
spec:
  # Git repository settings
  git:
    defaultBranch: main
    requirePR: true                       # Require PRs for changes

  # Flux settings (inherited by all clusters)
  flux:
    version: "2.2.0"                      # Flux version for all clusters
    interval: 1m                          # Sync interval

  # Default provider settings
  defaults:
    provider:
      kubernetes:
        version: "1.31.0"
        bootstrap: rke2
`;

/** The root cell with its global catalog and no children yet. */
export function baseRepoFiles(): Record<string, string> {
  return {
    "README.md": "# lattice-clusters\n",
    ".lattice/config.yaml": CONFIG_YAML,
    "cluster.yaml": clusterYaml("root", { cell: true }),
    "kustomization.yaml": kustomization(["registrations", "children"]),
    "registrations/kustomization.yaml": kustomization([
      "payments.yaml",
      "orders.yaml",
      "monitoring.yaml",
      "logging.yaml",
    ]),
    "registrations/payments.yaml": registrationYaml("payments", {
      url: "https://github.com/acme/payments",
      path: "./deploy",
      ref: "main",
    }),
    "registrations/orders.yaml": registrationYaml("orders", {
      url: "https://github.com/acme/orders",
      path: "./deploy",
      ref: "main",
    }),
    "registrations/monitoring.yaml": registrationYaml("monitoring", {
      url: "https://github.com/platform/monitoring",
      path: "./charts",
      ref: "v1.0.0",
    }),
    "registrations/logging.yaml": registrationYaml("logging", {
      url: "https://github.com/platform/logging",
      path: "./charts",
      ref: "v3.0.0",
    }),
    "children/kustomization.yaml": kustomization([]),
  };
}

/** The US cell and its three clusters, under the root of {@linkcode baseRepoFiles}. */
export function usFiles(): Record<string, string> {
  const us = "children/us";
  const leaf = (name: string, workers: number, placements: Record<string, string>) => ({
    [`${us}/children/${name}/cluster.yaml`]: clusterYaml(name, { parent: "us", workers }),
    [`${us}/children/${name}/kustomization.yaml`]: kustomization(["placements"]),
    [`${us}/children/${name}/placements/kustomization.yaml`]: kustomization(
      Object.keys(placements).map((p) => `${p}.yaml`),
    ),
    ...Object.fromEntries(
      Object.entries(placements).map((
        [p, text],
      ) => [`${us}/children/${name}/placements/${p}.yaml`, text]),
    ),
  });
  return {
    [`${us}/cluster.yaml`]: clusterYaml("us", { parent: "root", cell: true }),
    [`${us}/kustomization.yaml`]: kustomization(["registrations", "children"]),
    [`${us}/registrations/kustomization.yaml`]: kustomization(["us-compliance.yaml"]),
    [`${us}/registrations/us-compliance.yaml`]: registrationYaml("us-compliance", {
      url: "https://github.com/acme/us-compliance",
      path: "./deploy",
      ref: "main",
    }),
    [`${us}/children/kustomization.yaml`]: kustomization([
      "us-prod-1/cluster.yaml",
      "us-prod-2/cluster.yaml",
      "us-staging/cluster.yaml",
    ]),
    ...leaf("us-prod-1", 10, {
      payments: placementYaml("payments", { tag: "v2.1.0", replicas: 10 }),
      orders: placementYaml("orders", { replicas: 5 }),
      monitoring: placementYaml("monitoring"),
    }),
    ...leaf("us-prod-2", 8, {
      payments: placementYaml("payments", { tag: "v2.1.0", replicas: 8 }),
      monitoring: placementYaml("monitoring"),
    }),
    ...leaf("us-staging", 3, { payments: placementYaml("payments", { replicas: 1 }) }),
  };
}

/** Writes `files` (repo-relative path → text) under `dir`, with a `.git` folder. */
export async function writeRepo(dir: string, files: Record<string, string>): Promise<void> {
  await Deno.mkdir(`${dir}/.git`, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
}

/** A temp repository with root + the US cell (the spec's structure before EU is added). */
export async function tempRepo(
  files: Record<string, string> = { ...baseRepoFiles(), ...usChildren() },
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "lattice-repo-" });
  await writeRepo(dir, files);
  return dir;
}

/** usFiles() plus the root's children/kustomization.yaml listing us. */
export function usChildren(): Record<string, string> {
  return { ...usFiles(), "children/kustomization.yaml": kustomization(["us/cluster.yaml"]) };
}

/** Runs `lattice ARGS` in-process in `cwd`; returns exit code and printed text. */
export async function lattice(cwd: string, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: {},
    cwd,
  };
  const code = await runCli(rootCommand(), args, ctx);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

/** Reads a repo file. */
export function readRepoFile(dir: string, path: string): Promise<string> {
  return Deno.readTextFile(`${dir}/${path}`);
}

/** Runs `fn` on a fresh copy of the spec repo (root + US cell), removed afterwards. */
export async function withRepo(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempRepo();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `lattice ARGS`, asserting exit 0; returns what it printed. */
export async function latticeOk(dir: string, ...args: string[]): Promise<string> {
  const r = await lattice(dir, ...args);
  if (r.code !== 0) {
    throw new Error(`lattice ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  }
  return r.stdout;
}

/** Lines joined with newlines, for golden output. */
export function lines(...text: string[]): string {
  return text.join("\n");
}
