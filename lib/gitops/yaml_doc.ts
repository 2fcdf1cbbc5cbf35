/**
 * YAML documents edited in place: the `yaml` package's Document keeps comments, key order
 * and quoting, so a scale or upgrade changes one line of the user's file, not its style.
 */
import { Document, isMap, isScalar, isSeq, type Node, parseDocument, Scalar } from "yaml";

/** Text and parsed document of one file. */
export interface YamlFile {
  /** Repo-relative path. */
  path: string;
  text: string;
  doc: Document;
}

/** Parses a file's text, keeping comments and source ranges. */
export function parseYamlFile(path: string, text: string): YamlFile {
  return { path, text, doc: parseDocument(text, { prettyErrors: false }) };
}

/** `path:line: invalid YAML: message` for a file that does not parse, else undefined. */
export function syntaxProblem(file: YamlFile): string | undefined {
  const e = file.doc.errors[0];
  if (e === undefined) return undefined;
  return `${file.path}:${lineAt(file.text, e.pos[0])}: invalid YAML: ${e.message.split("\n")[0]}`;
}

/** Renders a document the way the CLI writes files (no folding of long strings). */
export function renderDocument(doc: Document): string {
  return doc.toString({ lineWidth: 0 });
}

/** The 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The line a field path points at: the key of the deepest existing part of the path
 * (so a missing field points at its parent's key, a wrong value at its own key).
 */
export function lineOfPath(file: YamlFile, path: readonly PropertyKey[]): number {
  let node: unknown = file.doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === part);
      if (!pair) break;
      offset = (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === "number" && node.items[part]) {
      node = node.items[part];
      offset = (node as Node).range?.[0] ?? offset;
    } else break;
  }
  return lineAt(file.text, offset);
}

/** A string scalar written in double quotes, e.g. versions that could read as numbers. */
export function quoted(value: string): Scalar<string> {
  const scalar = new Scalar(value);
  scalar.type = Scalar.QUOTE_DOUBLE;
  return scalar;
}

/**
 * Sets a scalar at `path`, creating the maps on the way. An existing scalar keeps its
 * node (and with it the comment after it and its quoting); only the value changes.
 */
export function setScalar(doc: Document, edit: ScalarEdit): void {
  const { path, value } = edit;
  const existing = doc.getIn(path, true);
  if (isScalar(existing)) {
    existing.value = value;
    return;
  }
  doc.setIn(path, edit.quote && typeof value === "string" ? quoted(value) : value);
}

/** One scalar to set by {@linkcode editScalars}. */
export interface ScalarEdit {
  path: (string | number)[];
  value: string | number | boolean;
  /** Double-quote the value when the scalar is new. */
  quote?: boolean;
}

/**
 * Sets scalars and returns the new text. When every target scalar already exists, only
 * its characters change (the rest of the file, comment alignment included, is kept byte
 * for byte); otherwise the document is re-rendered, which keeps comments and key order
 * but normalizes spacing.
 */
export function editScalars(file: YamlFile, edits: readonly ScalarEdit[]): string {
  const nodes = edits.map((e) => file.doc.getIn(e.path, true));
  if (!nodes.every((n) => isScalar(n) && n.range)) {
    for (const e of edits) setScalar(file.doc, e);
    return renderDocument(file.doc);
  }
  const splices = edits.map((e, i) => {
    const node = nodes[i] as Scalar;
    node.value = e.value;
    return { start: node.range![0], end: node.range![1], text: scalarSource(node, e.value) };
  });
  let text = file.text;
  for (const s of splices.sort((a, b) => b.start - a.start)) {
    text = text.slice(0, s.start) + s.text + text.slice(s.end);
  }
  return text;
}

/** How `value` is written in the style of an existing scalar. */
function scalarSource(node: Scalar, value: string | number | boolean): string {
  if (typeof value !== "string") return String(value);
  if (node.type === Scalar.QUOTE_DOUBLE) return JSON.stringify(value);
  if (node.type === Scalar.QUOTE_SINGLE) return `'${value.replaceAll("'", "''")}'`;
  return new Document(value).toString().trimEnd();
}

/** Reads a scalar at `path` as plain JS, or undefined. */
export function getValue(doc: Document, path: readonly (string | number)[]): unknown {
  const node = doc.getIn(path, true);
  return isScalar(node) ? node.value : isMap(node) || isSeq(node) ? node.toJSON() : undefined;
}

/** Builds a new document from an object, double-quoting the values at `quotePaths`. */
export function newDocument(value: unknown, quotePaths: (string | number)[][] = []): Document {
  const doc = new Document(value);
  for (const path of quotePaths) {
    const node = doc.getIn(path, true);
    if (isScalar(node)) node.type = Scalar.QUOTE_DOUBLE;
  }
  return doc;
}
