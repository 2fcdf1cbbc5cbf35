/**
 * Git credentials as Lattice carries them (FluxInstallCommand.git_credentials, the file of
 * `lattice install --git-credentials`) and as source-controller reads them (the
 * `git-credentials` Secret's keys).
 *
 * Accepted forms (text):
 * - an SSH private key (PEM, `-----BEGIN ... PRIVATE KEY-----`) → `identity`;
 * - `username:password` on one line → `username`, `password` (HTTPS basic auth);
 * - `token` alone → `username: git`, `password: token` (a GitHub/GitLab token);
 * - a YAML/JSON map of Secret keys (`username`, `password`, `bearerToken`, `identity`,
 *   `known_hosts`, `ca.crt`) → those keys.
 * Empty means a public repository (no Secret).
 */
import { parse } from "yaml";

/** The Secret keys source-controller understands. */
export const CREDENTIAL_KEYS = [
  "username",
  "password",
  "bearerToken",
  "identity",
  "identity.pub",
  "known_hosts",
  "ca.crt",
] as const;

/** Why `text` is not usable as git credentials, or undefined when it is. */
export function gitCredentialsProblem(text: string): string | undefined {
  try {
    gitCredentialsData(new TextEncoder().encode(text));
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The `git-credentials` Secret's stringData for `credentials`; throws on bad input. */
export function gitCredentialsData(credentials: Uint8Array): Record<string, string> {
  const text = new TextDecoder().decode(credentials).trim();
  if (!text) return {};
  if (/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return { identity: text + "\n" };
  if (!text.includes("\n") && !/[{}]/.test(text) && !/:\s/.test(text)) {
    const i = text.indexOf(":");
    if (i === 0) throw new Error("Cannot read git credentials: username before ':' is empty");
    if (i === text.length - 1) {
      throw new Error("Cannot read git credentials: password after ':' is empty");
    }
    if (i > 0) return { username: text.slice(0, i), password: text.slice(i + 1) };
    return { username: "git", password: text };
  }
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new Error(`Cannot read git credentials: ${(error as Error).message.split("\n")[0]}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new Error("Cannot read git credentials: expected a key, user:password, a token or a map");
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!(CREDENTIAL_KEYS as readonly string[]).includes(k)) {
      throw new Error(
        `Cannot read git credentials: unknown key ${k} (allowed: ${CREDENTIAL_KEYS.join(", ")})`,
      );
    }
    if (typeof v !== "string" || !v) {
      throw new Error(`Cannot read git credentials: ${k} must be a non-empty string`);
    }
    out[k] = v;
  }
  return out;
}
