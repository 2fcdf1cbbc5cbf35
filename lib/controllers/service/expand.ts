/**
 * Score placeholders in variables and file contents: `${metadata.name}`,
 * `${metadata.namespace}` and, for `service` resources, `${resources.KEY.host}`,
 * `${resources.KEY.port}` (the peer's first port), `${resources.KEY.name}` and
 * `${resources.KEY.namespace}`. `$${` is a literal `${`. Anything else is an error naming
 * the placeholder.
 */
import type { LatticeServiceSpec } from "../../api/mod.ts";

/** What placeholders resolve against. */
export interface ExpandContext {
  name: string;
  namespace: string;
  resources: LatticeServiceSpec["resources"];
  /** The first port of a peer service, when known. */
  portOf?: (namespace: string, name: string) => number | undefined;
}

/** A placeholder that cannot be resolved. */
export class PlaceholderError extends Error {}

function resolve(path: string, ctx: ExpandContext): string {
  const parts = path.split(".");
  if (parts[0] === "metadata" && parts.length === 2) {
    if (parts[1] === "name") return ctx.name;
    if (parts[1] === "namespace") return ctx.namespace;
  }
  if (parts[0] === "resources" && parts.length === 3) {
    const entry = ctx.resources?.[parts[1]];
    if (!entry) throw new PlaceholderError(`\${${path}}: no resource ${parts[1]}`);
    if (entry.type !== "service") {
      throw new PlaceholderError(`\${${path}}: only type service resources are provided`);
    }
    const ns = entry.namespace ?? ctx.namespace;
    const name = entry.name ?? parts[1];
    switch (parts[2]) {
      case "host":
        return `${name}.${ns}.svc.cluster.local`;
      case "name":
        return name;
      case "namespace":
        return ns;
      case "port": {
        const port = ctx.portOf?.(ns, name);
        if (port === undefined) {
          throw new PlaceholderError(`\${${path}}: ${ns}/${name} has no port`);
        }
        return String(port);
      }
    }
  }
  throw new PlaceholderError(`\${${path}}: unknown placeholder`);
}

/** Expands the placeholders of `text`. */
export function expand(text: string, ctx: ExpandContext): string {
  return text.replace(
    /\$(\$)?\{([^}]*)\}/g,
    (_match, escaped: string | undefined, path: string) =>
      escaped ? `\${${path}}` : resolve(path.trim(), ctx),
  );
}
