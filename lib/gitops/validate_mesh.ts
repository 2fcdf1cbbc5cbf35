/**
 * LatticeService files in the cluster repository. A service runs on the cluster whose
 * `placements/` folder holds it (the folder of the services placed on a cluster, beside
 * LatticeServicePlacements; Flux applies it to that cluster). `lattice validate` checks each
 * file's schema and name, and across the repository that every `service` dependency is
 * agreed by both sides on the same cluster: a one-sided declaration is reported at its
 * `spec.resources.KEY.direction`, saying what the other side must declare.
 */
import { LatticeServiceSchema, type LatticeServiceSpec } from "../api/mod.ts";
import {
  agreementsOf,
  meshIndex,
  type MeshService,
  serviceRefs,
} from "../controllers/service/agreement.ts";
import { fieldIssue, schemaIssues, syntaxIssues, type ValidationIssue } from "./issues.ts";
import { type LoadedFile, type Repo, resourceName } from "./repo.ts";

/** True when a file of a placements folder holds a LatticeService. */
export function isServiceFile(file: LoadedFile): boolean {
  return (file.value as { kind?: unknown } | null)?.kind === "LatticeService";
}

/** Issues of one LatticeService file (schema; the file is named after the service). */
export function serviceDefinitionIssues(file: LoadedFile): ValidationIssue[] {
  const syntax = file.simple ? [] : syntaxIssues(file);
  if (syntax.length > 0) return syntax;
  const { issues } = schemaIssues(file, { schema: LatticeServiceSchema, value: file.value });
  const name = (file.value as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  const expected = resourceName(file.path);
  if (typeof name === "string" && name !== expected) {
    issues.push(fieldIssue(file, {
      path: ["metadata", "name"],
      message: `is '${name}' but the file is ${expected}.yaml; they must match`,
      kind: "schema",
    }));
  }
  return issues;
}

interface Loaded {
  file: LoadedFile;
  service: MeshService;
}

function loadServices(files: readonly LoadedFile[]): Loaded[] {
  const out: Loaded[] = [];
  for (const file of files) {
    if (!isServiceFile(file)) continue;
    const parsed = LatticeServiceSchema.safeParse(file.value);
    if (!parsed.success) continue; // reported by the file's own schema check
    const meta = parsed.data.metadata as { name: string; namespace?: unknown };
    const namespace = typeof meta.namespace === "string" ? meta.namespace : "default";
    const spec: LatticeServiceSpec = parsed.data.spec;
    out.push({ file, service: { namespace, name: meta.name, spec } });
  }
  return out;
}

/** One-sided dependencies of every cluster's services, each at its file and field. */
export function meshIssues(repo: Repo): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const cluster of repo.clusters) {
    const loaded = loadServices(cluster.placements);
    if (loaded.length === 0) continue;
    const index = meshIndex(loaded.map((l) => l.service));
    for (const { file, service } of loaded) {
      const refs = serviceRefs(service);
      for (const pending of agreementsOf(service, index).pending) {
        const ref = refs.find((r) =>
          `${r.namespace}/${r.name}` === pending.service &&
          (r.entry.direction === "both" || r.entry.direction === pending.direction)
        );
        const key = ref?.key ?? pending.service;
        issues.push(fieldIssue(file, {
          path: ["spec", "resources", key, "direction"],
          message: `one-sided ${pending.direction} dependency on ${pending.service} ` +
            `(cluster ${cluster.node.name}): ${pending.missing}`,
          kind: "mesh",
        }));
      }
    }
  }
  return issues;
}
