/**
 * Who a proxied request acts as, and how that identity crosses the stream.
 *
 * The cell puts the authenticated caller in the KubernetesRequest headers as
 * `impersonate-user` and `impersonate-group` (groups joined by ", "); the agent maps them to
 * `lattice:<cell>:<name>` before impersonating on the child. Nested hops stack prefixes
 * (`lattice:regional:lattice:root:alice`), so every cluster sees which path a user came by.
 */

/** An authenticated caller. */
export interface Identity {
  user: string;
  groups: string[];
}

/** The request header that carries the caller's user name to the agent. */
export const USER_HEADER = "impersonate-user";
/** The request header that carries the caller's groups to the agent, joined by ", ". */
export const GROUP_HEADER = "impersonate-group";

/** The prefix every name gets on the child of `cellName`. */
export function identityPrefix(cellName: string): string {
  return `lattice:${cellName}:`;
}

/**
 * The stream headers that assert `identity`. Groups holding a comma are left out: they
 * could not be split back unambiguously, and a split would grant groups the caller lacks.
 */
export function identityHeaders(identity: Identity): Record<string, string> {
  const headers: Record<string, string> = { [USER_HEADER]: identity.user };
  const groups = identity.groups.filter((g) => g !== "" && !g.includes(","));
  if (groups.length > 0) headers[GROUP_HEADER] = groups.join(", ");
  return headers;
}

/**
 * The identity the agent impersonates on the child of `cellName` for a request carrying
 * `headers`; undefined when no user is asserted (the request must then be refused).
 */
export function impersonatedIdentity(
  cellName: string,
  headers: Record<string, string>,
): Identity | undefined {
  const user = headers[USER_HEADER]?.trim();
  if (!user) return undefined;
  const prefix = identityPrefix(cellName);
  const groups = (headers[GROUP_HEADER] ?? "").split(", ").map((g) => g.trim()).filter((g) =>
    g !== ""
  );
  return { user: prefix + user, groups: groups.map((g) => prefix + g) };
}
