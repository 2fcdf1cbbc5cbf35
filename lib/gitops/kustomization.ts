/**
 * kustomization.yaml files: reading their `resources`, writing new ones, and adding or
 * removing entries while keeping whatever else (comments, other keys) the user put there.
 */
import { isScalar, isSeq, YAMLSeq } from "yaml";
import { KUSTOMIZE_API_VERSION } from "./layout.ts";
import { lineAt, parseYamlFile, renderDocument, type YamlFile } from "./yaml_doc.ts";

/** The `resources` of a kustomization and where each entry is. */
export interface KustomizationResources {
  resources: string[];
  /** 1-based line of each entry (same order as `resources`). */
  lines: number[];
  /** A YAML syntax problem or a missing/invalid `resources` list. */
  error?: { line: number; message: string };
}

// The files the CLI writes all have this shape; reading them without the YAML parser
// keeps `validate` on 10,000 clusters fast. Anything else goes through the parser.
const CANONICAL = new RegExp(
  `^apiVersion: ${KUSTOMIZE_API_VERSION.replaceAll(".", "\\.")}\\nkind: Kustomization\\n` +
    "resources:( \\[\\])?\\n((?:  - [A-Za-z0-9._/-]+\\n)*)$",
);

/** Reads the `resources` list of a kustomization.yaml text. */
export function readResources(text: string): KustomizationResources {
  const match = CANONICAL.exec(text);
  if (match && !(match[1] && match[2])) {
    const resources = match[2] === ""
      ? []
      : match[2].slice(0, -1).split("\n").map((l) => l.slice(4));
    return { resources, lines: resources.map((_, i) => i + 4) };
  }
  const file = parseYamlFile("", text);
  if (file.doc.errors.length > 0) {
    const e = file.doc.errors[0];
    return {
      resources: [],
      lines: [],
      error: { line: lineAt(text, e.pos[0]), message: e.message },
    };
  }
  const node = file.doc.get("resources", true);
  if (node === undefined || node === null) return { resources: [], lines: [] };
  if (!isSeq(node)) {
    return {
      resources: [],
      lines: [],
      error: { line: lineAt(text, 0), message: "resources: must be a list" },
    };
  }
  const resources: string[] = [];
  const lines: number[] = [];
  for (const item of node.items) {
    if (isScalar(item) && typeof item.value === "string") {
      resources.push(item.value);
      lines.push(lineAt(text, item.range?.[0] ?? 0));
    }
  }
  return { resources, lines };
}

/** The text of a new kustomization.yaml listing `resources`. */
export function renderKustomization(resources: readonly string[]): string {
  const list = resources.length === 0
    ? " []\n"
    : `\n${resources.map((r) => `  - ${r}\n`).join("")}`;
  return `apiVersion: ${KUSTOMIZE_API_VERSION}\nkind: Kustomization\nresources:${list}`;
}

/** What to change in a kustomization's resources. */
export interface ResourceEdit {
  add?: readonly string[];
  remove?: readonly string[];
  /**
   * Preferred order of entries (e.g. registrations, children, placements): an added entry
   * goes before the first listed entry that this order puts after it; others go last.
   */
  order?: readonly string[];
}

function insertAt(list: readonly string[], entry: string, order: readonly string[]): number {
  const rank = order.indexOf(entry);
  if (rank < 0) return list.length;
  const i = list.findIndex((e) => order.indexOf(e) > rank);
  return i < 0 ? list.length : i;
}

/**
 * Adds and removes `resources` entries. Returns the new text, or undefined when nothing
 * changes (every addition already listed, every removal already absent).
 */
export function editResources(text: string, edit: ResourceEdit): string | undefined {
  const current = readResources(text);
  const add = (edit.add ?? []).filter((r) => !current.resources.includes(r));
  const remove = (edit.remove ?? []).filter((r) => current.resources.includes(r));
  if (add.length === 0 && remove.length === 0) return undefined;
  if (CANONICAL.test(text)) {
    const kept = current.resources.filter((r) => !remove.includes(r));
    for (const r of add) kept.splice(insertAt(kept, r, edit.order ?? []), 0, r);
    return renderKustomization(kept);
  }
  const file: YamlFile = parseYamlFile("", text);
  if (file.doc.errors.length > 0) {
    throw new Error(`Cannot edit kustomization: ${file.doc.errors[0].message}`);
  }
  let seq = file.doc.get("resources", true);
  if (!isSeq(seq)) {
    seq = new YAMLSeq();
    file.doc.set("resources", seq);
  }
  const list = seq as YAMLSeq;
  list.items = list.items.filter((item) =>
    !(isScalar(item) && remove.includes(String(item.value)))
  );
  for (const r of add) {
    const names = list.items.map((item) => (isScalar(item) ? String(item.value) : ""));
    list.items.splice(insertAt(names, r, edit.order ?? []), 0, file.doc.createNode(r));
  }
  list.flow = false;
  return renderDocument(file.doc);
}
