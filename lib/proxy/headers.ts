/**
 * What of a child's answer reaches the caller. A child is not trusted by its cell (it may
 * be compromised), so the head of every proxied answer is filtered to what the Kubernetes
 * API itself sends: no Set-Cookie, Strict-Transport-Security, Location or anything else a
 * browser or client would act on, and only final statuses (a 101 would hang the client).
 */

/** Response headers the Kubernetes API returns and the proxy relays; the rest is dropped. */
export const RELAYED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  "audit-id",
  "cache-control",
  "content-type",
  "date",
  "etag",
  "expires",
  "last-modified",
  "retry-after",
  "vary",
  "warning",
  "x-content-type-options",
  "x-kubernetes-pf-flowschema-uid",
  "x-kubernetes-pf-prioritylevel-uid",
]);

/** The relayed subset of `headers` (names lowercased), from a record or a `Headers`. */
export function filterResponseHeaders(
  headers: Headers | Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (value: string, name: string) => {
    const lower = name.toLowerCase();
    if (RELAYED_RESPONSE_HEADERS.has(lower)) out[lower] = value;
  };
  if (headers instanceof Headers) headers.forEach(add);
  else for (const [name, value] of Object.entries(headers)) add(value, name);
  return out;
}

/**
 * Whether a child's status may be relayed: a final status (200-599). Informational ones
 * (101 Switching Protocols...) and nonsense are not answers the proxy can pass on.
 */
export function isRelayableStatus(status: number): boolean {
  return Number.isInteger(status) && status >= 200 && status <= 599;
}
