/**
 * Flags for every provider's settings, derived from the provider schemas (lib/api), so a
 * field added there gets its flag here: `region` → `--region`, `ipv4Pool.gateway` →
 * `--ipv4-pool-gateway`, `templateId` → `--template-id`. Required fields (no default, not
 * optional) are named in the error when missing; lists are comma-separated.
 */
import { z } from "zod";
import {
  AwsConfigSchema,
  AzureConfigSchema,
  DockerConfigSchema,
  GcpConfigSchema,
  OpenstackConfigSchema,
  type ProviderName,
  PROVIDERS,
  ProxmoxConfigSchema,
} from "../../api/mod.ts";
import type { ParsedArgs } from "../../cli/command.ts";
import { RepoError } from "../errors.ts";

const SCHEMAS: Record<ProviderName, z.ZodObject> = {
  docker: DockerConfigSchema,
  aws: AwsConfigSchema,
  openstack: OpenstackConfigSchema,
  proxmox: ProxmoxConfigSchema,
  gcp: GcpConfigSchema,
  azure: AzureConfigSchema,
};

/** One provider field reachable by a flag. */
export interface ProviderField {
  provider: ProviderName;
  /** Path inside the provider's config, e.g. ["ipv4Pool", "gateway"]. */
  path: string[];
  flag: string;
  kind: "string" | "int" | "number" | "list" | "boolean" | "enum";
  /** Allowed values of an enum. */
  values?: string[];
  required: boolean;
  description?: string;
}

const kebab = (s: string) =>
  s.replace(/MiB$/, "Mib").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function unwrap(schema: z.ZodType): { inner: z.ZodType; optional: boolean } {
  let inner = schema;
  let optional = false;
  for (;;) {
    if (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault) {
      optional = true;
      inner = inner.unwrap() as z.ZodType;
    } else if (inner instanceof z.ZodNullable) inner = inner.unwrap() as z.ZodType;
    else return { inner, optional };
  }
}

function fieldsOf(
  provider: ProviderName,
  schema: z.ZodObject,
  prefix: string[],
  parentOptional: boolean,
): ProviderField[] {
  const out: ProviderField[] = [];
  for (const [key, value] of Object.entries(schema.shape)) {
    const { inner, optional } = unwrap(value as z.ZodType);
    const path = [...prefix, key];
    const base = {
      provider,
      path,
      flag: path.map(kebab).join("-"),
      required: !optional && !parentOptional,
      description: (value as z.ZodType).description ?? inner.description,
    };
    if (inner instanceof z.ZodObject) {
      out.push(...fieldsOf(provider, inner, path, optional || parentOptional));
    } else if (inner instanceof z.ZodArray) out.push({ ...base, kind: "list" });
    else if (inner instanceof z.ZodNumber) {
      out.push({ ...base, kind: inner.format?.includes("int") ? "int" : "number" });
    } else if (inner instanceof z.ZodBoolean) out.push({ ...base, kind: "boolean" });
    else if (inner instanceof z.ZodEnum) {
      out.push({ ...base, kind: "enum", values: inner.options.map(String) });
    } else out.push({ ...base, kind: "string" });
  }
  return out;
}

/** Every provider field with its flag. */
export const PROVIDER_FIELDS: ProviderField[] = PROVIDERS.flatMap((p) =>
  fieldsOf(p, SCHEMAS[p], [], false)
);

/** Flag names of every provider field (shared by providers that have the same field). */
export const PROVIDER_FLAG_NAMES: string[] = [...new Set(PROVIDER_FIELDS.map((f) => f.flag))];

/** parseArgs options for every provider flag (all take a value). */
export const PROVIDER_OPTIONS = Object.fromEntries(
  PROVIDER_FLAG_NAMES.map((flag) => [flag, { type: "string" as const }]),
);

/** Help lines of the provider flags: which providers each sets, and whether required. */
export const PROVIDER_HELP: Record<string, string> = Object.fromEntries(
  PROVIDER_FLAG_NAMES.map((flag) => {
    const fields = PROVIDER_FIELDS.filter((f) => f.flag === flag);
    const who = fields.map((f) => `${f.provider}${f.required ? " (required)" : ""}`).join(", ");
    const list = fields[0].kind === "list" ? "comma-separated; " : "";
    return [flag, `${list}${who}`];
  }),
);

/** The fields of one provider. */
export function providerFields(provider: ProviderName): ProviderField[] {
  return PROVIDER_FIELDS.filter((f) => f.provider === provider);
}

function convert(field: ProviderField, raw: string, action: string): unknown {
  const bad = (what: string) => new RepoError(`Cannot ${action}: --${field.flag} ${raw}: ${what}`);
  switch (field.kind) {
    case "int":
      if (!/^-?[0-9]+$/.test(raw.trim())) throw bad("must be a whole number");
      return Number(raw);
    case "number":
      if (raw.trim() === "" || !Number.isFinite(Number(raw))) throw bad("must be a number");
      return Number(raw);
    case "boolean":
      if (raw !== "true" && raw !== "false") throw bad("must be true or false");
      return raw === "true";
    case "list":
      return raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
    case "enum":
      if (!field.values?.includes(raw)) throw bad(`must be one of ${field.values?.join(", ")}`);
      return raw;
    default:
      return raw;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = (typeof next === "object" && next !== null ? next : (node[key] = {})) as Record<
      string,
      unknown
    >;
  }
  node[path[path.length - 1]] = value;
}

function getPath(target: Record<string, unknown>, path: string[]): unknown {
  let node: unknown = target;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Applies the provider flags given in `args` to `config` (the provider's settings,
 * edited in place) and checks that every required field is then set. Errors name the
 * flag and the field (`--project (spec.provider.config.gcp.project)`), never a schema dump.
 */
export function applyProviderFlags(
  args: ParsedArgs,
  target: { provider: ProviderName; config: Record<string, unknown>; action: string },
): void {
  const { provider, config, action } = target;
  const own = providerFields(provider);
  for (const flag of PROVIDER_FLAG_NAMES) {
    const raw = args.values[flag];
    if (typeof raw !== "string") continue;
    const field = own.find((f) => f.flag === flag);
    if (!field) {
      const users = PROVIDER_FIELDS.filter((f) => f.flag === flag).map((f) => f.provider);
      throw new RepoError(
        `Cannot ${action}: --${flag} does not apply to ${provider} (it is a setting of ` +
          `${users.join(", ")}); ${provider}'s flags: ${
            own.map((f) => `--${f.flag}`).join(", ") || "none"
          }`,
      );
    }
    setPath(config, field.path, convert(field, raw, action));
  }
  const missing = own.filter((f) => f.required && getPath(config, f.path) === undefined);
  if (missing.length > 0) {
    throw new RepoError(
      `Cannot ${action}: provider ${provider} needs ${
        missing.map((f) => `--${f.flag} (spec.provider.config.${provider}.${f.path.join(".")})`)
          .join(", ")
      }`,
    );
  }
}

/** The flag that sets a field path like `spec.provider.config.gcp.project`, if any. */
export function flagForPath(path: string): string | undefined {
  const m = /^spec\.provider\.config\.([a-z]+)\.(.+)$/.exec(path);
  if (!m) return undefined;
  const fieldPath = m[2].replace(/\.[0-9]+(\.|$)/g, "$1");
  return PROVIDER_FIELDS.find((f) => f.provider === m[1] && f.path.join(".") === fieldPath)
    ?.flag;
}

const SPEC_FLAGS: Record<string, string> = {
  "spec.nodes.controlPlane": "control-plane-nodes",
  "spec.nodes.workers": "worker-nodes",
  "spec.provider.kubernetes.version": "k8s-version",
  "spec.provider.kubernetes.bootstrap": "bootstrap",
  "spec.cell.host": "cell-host",
  "spec.cellRef": "parent",
  "metadata.name": "name",
};

/** The flag that sets a cluster.yaml field (`spec.nodes.workers` → `worker-nodes`), if any. */
export function flagForField(path: string): string | undefined {
  return SPEC_FLAGS[path] ?? flagForPath(path);
}
