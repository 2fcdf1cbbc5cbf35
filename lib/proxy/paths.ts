/**
 * Parsing and validation of proxied paths. Every segment is checked before anything is
 * forwarded: cluster names are DNS-1123 labels, and no segment may, once decoded, climb out
 * of its place (`.`, `..`, `/`, `\`, NUL) — the encoded forms (`%2e%2e`, `%2f`) included.
 */

/** A proxied path split into its first hop and the rest. */
export interface ProxyPath {
  /** The child cluster named by the first `/clusters/{name}`. */
  cluster: string;
  /**
   * What to send to that cluster, still percent-encoded: a Kubernetes API path
   * (`/api/...`, `/apis/...`, `/version`, `/openapi/...`) or the next hop (`/clusters/...`).
   */
  rest: string;
}

/** The roots the proxy forwards; everything else on the child stays unreachable. */
export const FORWARDED_ROOTS: readonly string[] = ["api", "apis", "version", "openapi"];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// RFC 3986 pchar without '%' (checked apart): what a Kubernetes path may hold.
const SEGMENT_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%]+$/;

/** Whether `name` is a DNS-1123 label (what LatticeCluster names are). */
export function isDnsLabel(name: string): boolean {
  return DNS_LABEL.test(name);
}

/** Why a path is refused (answered 400, or 404 for a path outside the proxy). */
export class InvalidPathError extends Error {
  /** 400 for abuse, 404 for a well-formed path the proxy does not serve. */
  readonly code: 400 | 404;
  constructor(message: string, code: 400 | 404) {
    super(message);
    this.name = "InvalidPathError";
    this.code = code;
  }
}

function checkSegment(segment: string): void {
  if (segment === "") {
    throw new InvalidPathError("Cannot proxy: the path has an empty segment", 400);
  }
  if (!SEGMENT_CHARS.test(segment)) {
    throw new InvalidPathError("Cannot proxy: the path has a character that is not allowed", 400);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw new InvalidPathError("Cannot proxy: the path has a malformed escape", 400);
  }
  if (decoded === "." || decoded === ".." || /[/\\\0]/.test(decoded) || /%/.test(decoded)) {
    // A '%' left after decoding means double encoding, which some servers decode twice.
    throw new InvalidPathError("Cannot proxy: the path tries to leave its segment", 400);
  }
}

/**
 * Validates every segment of `path` (the raw, percent-encoded URL path) and splits it at
 * the first hop. `path` must start with `/clusters/`.
 */
export function parseProxyPath(path: string): ProxyPath {
  const segments = path.split("/").slice(1);
  if (segments[0] !== "clusters" || segments.length < 3) {
    throw new InvalidPathError("Cannot proxy: the path is not /clusters/{name}/...", 404);
  }
  for (const segment of segments) checkSegment(segment);
  const cluster = segments[1];
  if (!isDnsLabel(cluster)) {
    throw new InvalidPathError(`Cannot proxy: cluster name ${cluster} is not a DNS label`, 400);
  }
  const root = segments[2];
  if (root === "clusters") {
    // The next hop: its own name is checked again by the cell that routes it.
    if (segments.length < 5 || !isDnsLabel(segments[3])) {
      throw new InvalidPathError("Cannot proxy: the nested path is not /clusters/{name}/...", 400);
    }
  } else if (!FORWARDED_ROOTS.includes(root)) {
    throw new InvalidPathError(`Cannot proxy: /${root} is not forwarded`, 404);
  }
  return { cluster, rest: "/" + segments.slice(2).join("/") };
}

/**
 * Checks a path received by an agent (defence in depth: the cell validated it already).
 * Returns the path part without its query.
 */
export function checkForwardedPath(pathWithQuery: string): string {
  const path = pathWithQuery.split("?", 1)[0];
  if (!path.startsWith("/")) throw new InvalidPathError("Cannot proxy: the path is relative", 400);
  const segments = path.split("/").slice(1);
  for (const segment of segments) checkSegment(segment);
  const root = segments[0];
  if (root !== "clusters" && !FORWARDED_ROOTS.includes(root)) {
    throw new InvalidPathError(`Cannot proxy: /${root} is not forwarded`, 404);
  }
  return path;
}

/** Whether the request is long-lived (a watch or a followed log): no timeout applies. */
export function isStreamingRequest(pathWithQuery: string): boolean {
  const [path, query = ""] = pathWithQuery.split("?", 2);
  const params = new URLSearchParams(query);
  const on = (k: string) => params.get(k) === "true" || params.get(k) === "1";
  return on("watch") || on("follow") || /\/watch\//.test(path);
}
