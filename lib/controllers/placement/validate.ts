/**
 * What makes a registration or placement unusable, said per field — the whole class, not
 * just what the CRD refuses at admission (a registration handed down from a parent never
 * passed this cluster's admission): the schema (zod, the CRD's source), a git URL Flux can
 * clone, branch and tag names git accepts, and never both.
 */
import { LatticeServicePlacementSpecSchema } from "../../api/service_placement.ts";
import { LatticeServiceRegistrationSpecSchema } from "../../api/service_registration.ts";
import type { z } from "zod";

/** A problem with one field: `field: message`. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** `field: message` lines. */
export function problemText(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join("; ");
}

const SCP = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(?!\/\/)(.+)$/;

/**
 * The URL Flux's GitRepository accepts (http, https, ssh): `git@host:org/repo` becomes
 * `ssh://git@host/org/repo`. Undefined when `url` is not a usable git URL.
 */
export function fluxGitUrl(url: string): string | undefined {
  return gitUrlProblem(url) ? undefined : normalise(url);
}

function normalise(url: string): string {
  const scp = SCP.exec(url);
  return scp ? `ssh://${scp[1]}@${scp[2]}/${scp[3].replace(/^\/+/, "")}` : url;
}

/** Why `url` cannot be cloned by Flux, or undefined. */
export function gitUrlProblem(url: string): string | undefined {
  if (url.length > 2048) return "must be at most 2048 characters";
  // deno-lint-ignore no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(url)) return "must not contain spaces or control characters";
  let parsed: URL;
  try {
    parsed = new URL(normalise(url));
  } catch {
    return `"${url}" is not a git URL (https://host/org/repo, ssh://git@host/org/repo or ` +
      "git@host:org/repo)";
  }
  if (!["http:", "https:", "ssh:"].includes(parsed.protocol)) {
    return `scheme ${parsed.protocol.slice(0, -1)} is not supported (http, https, ssh)`;
  }
  if (!parsed.hostname) return `"${url}" has no host`;
  if (parsed.password) return "must not carry a password (use the git-credentials Secret)";
  if (parsed.pathname === "" || parsed.pathname === "/") return `"${url}" names no repository`;
  return undefined;
}

/** Why `ref` is not a branch or tag name git accepts (git check-ref-format), or undefined. */
export function gitRefProblem(ref: string): string | undefined {
  if (ref.length === 0) return "must not be empty";
  if (ref.length > 255) return "must be at most 255 characters";
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) {
    return `"${ref}" is not a git ref name (no spaces or any of ~ ^ : ? * [ \\)`;
  }
  if (
    ref.startsWith("-") || ref.startsWith("/") || ref.endsWith("/") || ref.endsWith(".") ||
    ref.endsWith(".lock") || ref.includes("..") || ref.includes("//") || ref.includes("@{") ||
    ref === "@" || ref.split("/").some((part) => part.startsWith("."))
  ) {
    return `"${ref}" is not a git ref name (git check-ref-format refuses it)`;
  }
  return undefined;
}

/** Why `path` cannot be a path inside the repository, or undefined. */
export function repoPathProblem(path: string): string | undefined {
  if (path.startsWith("/")) return "must be relative to the repository root (./deploy)";
  if (path.split("/").includes("..")) return "must stay inside the repository (no ..)";
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) return "must not contain control characters";
  return undefined;
}

function zodProblems(prefix: string, error: z.ZodError): FieldProblem[] {
  return error.issues.map((i) => ({
    field: [prefix, ...i.path.map(String)].join("."),
    message: i.message,
  }));
}

/** Every problem of a registration's spec (empty when usable). */
export function registrationProblems(spec: unknown): FieldProblem[] {
  const parsed = LatticeServiceRegistrationSpecSchema.safeParse(spec);
  const problems = parsed.success ? [] : zodProblems("spec", parsed.error);
  const git = (spec as { source?: { git?: Record<string, unknown> } } | null)?.source?.git;
  if (git && typeof git === "object") {
    if (typeof git.url === "string") {
      const p = gitUrlProblem(git.url);
      if (p && !problems.some((x) => x.field === "spec.source.git.url")) {
        problems.push({ field: "spec.source.git.url", message: p });
      }
    }
    if (typeof git.path === "string") {
      const p = repoPathProblem(git.path);
      if (p) problems.push({ field: "spec.source.git.path", message: p });
    }
    for (const k of ["branch", "tag"] as const) {
      const v = git[k];
      const p = typeof v === "string" && v.length > 0 ? gitRefProblem(v) : undefined;
      if (p) problems.push({ field: `spec.source.git.${k}`, message: p });
    }
  }
  return problems;
}

/** Every problem of a placement's spec (empty when usable). */
export function placementProblems(spec: unknown): FieldProblem[] {
  const parsed = LatticeServicePlacementSpecSchema.safeParse(spec);
  const problems = parsed.success ? [] : zodProblems("spec", parsed.error);
  const override = (spec as { sourceOverride?: Record<string, unknown> } | null)?.sourceOverride;
  if (override && typeof override === "object") {
    for (const k of ["branch", "tag"] as const) {
      const v = override[k];
      const p = typeof v === "string" && v.length > 0 ? gitRefProblem(v) : undefined;
      if (p) problems.push({ field: `spec.sourceOverride.${k}`, message: p });
    }
  }
  return problems;
}
