/**
 * `deno task vendor-flux`: writes third_party/flux/v<release>/ — the install manifests of
 * the Flux controllers Lattice installs on every cluster — from the released sources of
 * each controller, the Go modules github.com/fluxcd/<component>@<version> (whose zips hold
 * config/crd/bases, config/rbac and config/manager). Needs Go (for `go mod download`).
 *
 * What it does is what `kustomize build` of flux2's manifests/bases does for these two
 * controllers, written out so it is reproducible without kustomize:
 * - every CRD of config/crd/bases, verbatim but labelled;
 * - config/rbac as its kustomization.yaml lists it, with its namePrefix, every subject the
 *   controller's own ServiceAccount in flux-system (flux2 names them after the controller);
 * - config/manager's Deployment (and Service) in flux-system, the image set to the
 *   release's `ghcr.io/fluxcd/<component>:<version>`.
 * Every object carries `app.kubernetes.io/part-of: flux`, `.../component` and
 * `.../version`, which the installer uses to find a version's objects.
 *
 * PROVENANCE records the flux2 release, each module version with its go.sum hash, and the
 * sha256 of every file; `deno run -A scripts/generate.ts --check` verifies those offline.
 *
 *   deno task vendor-flux            rewrite every release in FLUX_RELEASES
 *   deno task vendor-flux --check    exit 1 when a vendored file differs from a fresh vendor
 */
import { parseAllDocuments, stringify } from "yaml";
import { FLUX_RELEASES, type FluxRelease } from "../lib/flux/releases.ts";
import { FLUX_NAMESPACE, FLUX_PART_OF_LABEL } from "../lib/flux/names.ts";

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
};

interface ModuleInfo {
  dir: string;
  sum: string;
}

async function download(module: string): Promise<ModuleInfo> {
  const out = await new Deno.Command("go", {
    args: ["mod", "download", "-json", module],
    cwd: await Deno.makeTempDir({ prefix: "lattice-vendor-flux-" }),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout) || "{}");
  if (!out.success || info.Error) {
    throw new Error(
      `Cannot download ${module}: ${info.Error ?? new TextDecoder().decode(out.stderr)}`,
    );
  }
  return { dir: info.Dir, sum: info.Sum };
}

function docs(text: string, file: string): Obj[] {
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length) throw new Error(`Cannot parse ${file}: ${d.errors[0].message}`);
    return d.toJS() as Obj;
  }).filter((o) => o && typeof o === "object");
}

async function readDocs(path: string): Promise<Obj[]> {
  return docs(await Deno.readTextFile(path), path);
}

const NAMESPACED = new Set(["Role", "RoleBinding", "ServiceAccount", "Deployment", "Service"]);

function label(obj: Obj, component: string, release: string): Obj {
  obj.metadata.labels = {
    ...obj.metadata.labels,
    [FLUX_PART_OF_LABEL]: "flux",
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/instance": FLUX_NAMESPACE,
    "app.kubernetes.io/version": `v${release}`,
  };
  if (NAMESPACED.has(obj.kind)) obj.metadata.namespace = FLUX_NAMESPACE;
  return obj;
}

/** config/rbac as its kustomization lists it, prefixed, bound to the controller's SA. */
async function rbac(dir: string, component: string): Promise<Obj[]> {
  const kust = (await readDocs(`${dir}/config/rbac/kustomization.yaml`))[0] as unknown as {
    resources: string[];
    namePrefix?: string;
  };
  const prefix = kust.namePrefix ?? "";
  const objs: Obj[] = [];
  for (const file of kust.resources) objs.push(...await readDocs(`${dir}/config/rbac/${file}`));
  const own = new Set(objs.map((o) => `${o.kind}/${o.metadata.name}`));
  for (const obj of objs) {
    obj.metadata.name = prefix + obj.metadata.name;
    const roleRef = obj.roleRef as { kind: string; name: string } | undefined;
    if (roleRef && own.has(`${roleRef.kind}/${roleRef.name}`)) roleRef.name = prefix + roleRef.name;
    const subjects = obj.subjects as
      | { kind: string; name: string; namespace?: string }[]
      | undefined;
    for (const s of subjects ?? []) {
      if (s.kind === "ServiceAccount") {
        s.name = component;
        s.namespace = FLUX_NAMESPACE;
      }
    }
  }
  return objs;
}

async function manager(dir: string, component: string, version: string): Promise<Obj[]> {
  const kust = (await readDocs(`${dir}/config/manager/kustomization.yaml`))[0] as unknown as {
    resources: string[];
  };
  const objs: Obj[] = [];
  for (const file of kust.resources) objs.push(...await readDocs(`${dir}/config/manager/${file}`));
  for (const obj of objs) {
    if (obj.kind !== "Deployment") continue;
    const spec = obj.spec as {
      template: { spec: { serviceAccountName?: string; containers: { image: string }[] } };
    };
    spec.template.spec.serviceAccountName = component;
    for (const c of spec.template.spec.containers) {
      c.image = `ghcr.io/fluxcd/${component}:${version}`;
    }
  }
  return objs;
}

/** The YAML of one component of a release. */
async function componentYaml(
  release: FluxRelease,
  component: string,
  version: string,
  dir: string,
): Promise<string> {
  const crdDir = `${dir}/config/crd/bases`;
  const crdFiles = [...Deno.readDirSync(crdDir)].map((e) => e.name).filter((n) =>
    n.endsWith(".yaml")
  ).sort();
  const crds: Obj[] = [];
  for (const f of crdFiles) crds.push(...await readDocs(`${crdDir}/${f}`));
  const sa: Obj = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: component } };
  const objs = [
    ...crds,
    sa,
    ...await rbac(dir, component),
    ...await manager(dir, component, version),
  ]
    .map((o) => label(o, component, release.version));
  const header = `# Flux v${release.version}: ${component} ${version}, from the Go module ` +
    `github.com/fluxcd/${component}@${version}.\n# Generated by \`deno task vendor-flux\`. Do not edit.\n`;
  return header + objs.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
}

function namespaceYaml(release: FluxRelease): string {
  const ns: Obj = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: FLUX_NAMESPACE,
      labels: {
        [FLUX_PART_OF_LABEL]: "flux",
        "app.kubernetes.io/instance": FLUX_NAMESPACE,
        "app.kubernetes.io/version": `v${release.version}`,
      },
    },
  };
  return `# Flux v${release.version}: the namespace of the controllers.\n` +
    `# Generated by \`deno task vendor-flux\`. Do not edit.\n` + stringify(ns);
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Every file of a release's folder: name → content (PROVENANCE last). */
export async function vendorRelease(release: FluxRelease): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  files.set("namespace.yaml", namespaceYaml(release));
  const modules: string[] = [];
  for (const [component, version] of Object.entries(release.components)) {
    const module = `github.com/fluxcd/${component}@${version}`;
    const info = await download(module);
    modules.push(`component ${component} ${module}`, `sum ${module} ${info.sum}`);
    files.set(`${component}.yaml`, await componentYaml(release, component, version, info.dir));
  }
  const lines = [
    `# Flux v${release.version} install manifests, vendored by \`deno task vendor-flux\` ` +
    `(scripts/vendor_flux.ts).`,
    "# `deno run -A scripts/generate.ts --check` verifies every sha256 below.",
    `release v${release.version}`,
    ...modules,
  ];
  for (const [name, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`sha256 ${await sha256(content)}  ${name}`);
  }
  files.set("PROVENANCE", lines.join("\n") + "\n");
  return files;
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const root = new URL("../third_party/flux/", import.meta.url);
  let stale = 0;
  for (const release of FLUX_RELEASES) {
    const dir = new URL(`v${release.version}/`, root);
    const files = await vendorRelease(release);
    if (!check) await Deno.mkdir(dir, { recursive: true });
    for (const [name, content] of files) {
      const path = new URL(name, dir);
      if (check) {
        const old = await Deno.readTextFile(path).catch(() => undefined);
        if (old !== content) {
          console.error(`out of date: ${path.pathname}`);
          stale++;
        }
      } else {
        await Deno.writeTextFile(path, content);
        console.log(`wrote ${path.pathname}`);
      }
    }
  }
  if (stale) Deno.exit(1);
}
