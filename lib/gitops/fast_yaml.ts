/**
 * A fast reader for the plain block YAML that cluster repositories are made of (nested
 * maps, lists of scalars, plain/quoted scalars, comments). It returns undefined for
 * anything outside that subset — anchors, flow collections, block scalars, multi-line
 * scalars, tabs, duplicate keys, odd indentation — and the caller then uses the full
 * `yaml` parser. Scalars resolve as the YAML 1.2 core schema does (the `yaml` default),
 * so both readers give the same value for every text this one accepts.
 */

type Container = { indent: number; kind: "map"; value: Record<string, unknown> } | {
  indent: number;
  kind: "seq";
  value: unknown[];
};

const KEY = /^([A-Za-z0-9_][A-Za-z0-9_.\/-]*):(?: +(.*))?$/;
const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const SPECIAL_START = /^([\[\]{}&*!|>%@`"',#]|[-?:]( |$))/;

/** The value of `text` when it is in the simple subset, else undefined. */
export function parseSimpleYaml(text: string): Record<string, unknown> | undefined {
  if (text.includes("\t") || text.includes("\r")) return undefined;
  const root: Record<string, unknown> = {};
  const stack: Container[] = [{ indent: -1, kind: "map", value: root }];
  // A key whose value (map or list) starts on the next line.
  let pending: { key: string; indent: number; map: Record<string, unknown> } | undefined;
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    let indent = 0;
    while (line.charCodeAt(indent) === 32) indent++;
    if (indent === line.length || line.charCodeAt(indent) === 35) continue; // blank or comment
    if (line.startsWith("---") || line.startsWith("...") || line.startsWith("%")) return undefined;
    const content = line.slice(indent);
    const isItem = content === "-" || content.startsWith("- ");
    if (pending) {
      const deeper = indent > pending.indent;
      // A list may start at its key's own indentation; a map must be deeper.
      if (isItem && indent >= pending.indent) {
        const seq: unknown[] = [];
        pending.map[pending.key] = seq;
        while (stack[stack.length - 1].indent > indent) stack.pop();
        stack.push({ indent, kind: "seq", value: seq });
      } else if (deeper) {
        const map: Record<string, unknown> = {};
        pending.map[pending.key] = map;
        stack.push({ indent, kind: "map", value: map });
      } else {
        pending.map[pending.key] = null;
      }
      pending = undefined;
    }
    while (stack.length > 1 && stack[stack.length - 1].indent > indent) stack.pop();
    const top = stack[stack.length - 1];
    if (isItem) {
      if (top.kind !== "seq" || top.indent !== indent) return undefined;
      const item = scalar(content.slice(1).trimStart());
      if (item === INVALID || (typeof item === "string" && KEY.test(item))) return undefined;
      top.value.push(item);
      continue;
    }
    if (top.kind === "seq") {
      // A key after a same-indent list closes the list and continues the map above it.
      stack.pop();
    }
    const map = stack[stack.length - 1];
    if (map.kind !== "map" || (map.indent >= 0 && map.indent !== indent)) return undefined;
    if (map.indent < 0 && indent !== 0) return undefined;
    const match = KEY.exec(content);
    if (!match) return undefined;
    const [, key, rest] = match;
    if (Object.hasOwn(map.value, key) || key === "__proto__") return undefined;
    if (rest === undefined || rest === "" || rest.startsWith("#")) {
      pending = { key, indent, map: map.value };
      continue;
    }
    const value = scalar(rest);
    if (value === INVALID) return undefined;
    map.value[key] = value;
    // The next line must not continue this scalar (multi-line plain scalars fall back).
    const next = nextContent(lines, n + 1);
    if (next && next.indent > indent) return undefined;
  }
  if (pending) pending.map[pending.key] = null;
  // A document of only comments is null to the full parser, not {}.
  return Object.keys(root).length === 0 ? undefined : root;
}

function nextContent(lines: string[], from: number) {
  for (let i = from; i < lines.length; i++) {
    const line = lines[i];
    let indent = 0;
    while (line.charCodeAt(indent) === 32) indent++;
    if (indent === line.length || line.charCodeAt(indent) === 35) continue;
    const content = line.slice(indent);
    return { indent, isItem: content === "-" || content.startsWith("- ") };
  }
  return undefined;
}

const INVALID = Symbol("invalid");

/** A scalar with an optional trailing comment, or INVALID when outside the subset. */
function scalar(raw: string): unknown {
  if (raw === "" || raw.startsWith("#")) return null;
  if (/^\[\]( +#.*)?$/.test(raw)) return [];
  if (/^\{\}( +#.*)?$/.test(raw)) return {};
  if (raw.startsWith('"')) {
    const end = raw.indexOf('"', 1);
    if (end < 0 || raw.slice(1, end).includes("\\")) return INVALID;
    return afterQuoted(raw, end) ? raw.slice(1, end) : INVALID;
  }
  if (raw.startsWith("'")) {
    let i = 1;
    let out = "";
    for (;;) {
      const end = raw.indexOf("'", i);
      if (end < 0) return INVALID;
      out += raw.slice(i, end);
      if (raw[end + 1] === "'") {
        out += "'";
        i = end + 2;
        continue;
      }
      return afterQuoted(raw, end) ? out : INVALID;
    }
  }
  if (SPECIAL_START.test(raw)) return INVALID;
  const hash = raw.indexOf(" #");
  const plain = (hash < 0 ? raw : raw.slice(0, hash)).trimEnd();
  if (plain.includes(": ") || plain.endsWith(":") || plain.includes("\t")) return INVALID;
  switch (plain) {
    case "~":
    case "null":
    case "Null":
    case "NULL":
      return null;
    case "true":
    case "True":
    case "TRUE":
      return true;
    case "false":
    case "False":
    case "FALSE":
      return false;
  }
  if (INT.test(plain)) return parseInt(plain, 10);
  if (FLOAT.test(plain)) return parseFloat(plain);
  // Hex, octal, .inf and .nan: leave them to the full parser.
  if (/^0x[0-9a-fA-F]+$|^0o[0-7]+$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/.test(plain)) {
    return INVALID;
  }
  return plain;
}

function afterQuoted(raw: string, end: number): boolean {
  const rest = raw.slice(end + 1);
  return rest.trim() === "" || /^ +#/.test(rest);
}
