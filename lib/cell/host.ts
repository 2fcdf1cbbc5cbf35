/**
 * Routing on the request target only. Deno builds a request's URL from the Host header and
 * the target, so a Host carrying a path (`Host: x/clusters/a/api`) would shift what the
 * router sees away from what was asked (and from what a filter or log in front saw). Every
 * route of the cell's HTTPS server therefore refuses a Host that is not a host, and a URL
 * whose authority is not that Host.
 */
import { StatusError } from "./errors.ts";

// A DNS name (letters, digits, '-', '_', '.'), an IPv4 address, or a bracketed IPv6
// address, with an optional port. No userinfo, path, query, fragment or space.
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252}))(?::[0-9]{1,5})?$/;

/** Whether `value` is a host (`name`, `name:port`, `1.2.3.4:5`, `[::1]:6`) and nothing more. */
export function isValidHost(value: string): boolean {
  return HOST.test(value);
}

/** The authority part of an absolute URL string as Deno built it. */
function authorityOf(url: string): { authority: string; rest: string } {
  const start = url.indexOf("://") + 3;
  let end = url.length;
  for (const c of ["/", "?", "#"]) {
    const at = url.indexOf(c, start);
    if (at >= 0 && at < end) end = at;
  }
  return { authority: url.slice(start, end), rest: url.slice(end) };
}

/**
 * The request's raw path and query (percent-encoding kept, no `..` resolved, fragment
 * dropped). Throws a 400 StatusError when the Host header is not a host or the URL's
 * authority is not the Host header, so routing follows the request target alone.
 */
export function requestTarget(request: Request): string {
  const { authority, rest } = authorityOf(request.url);
  const host = request.headers.get("host");
  if (host !== null && (!isValidHost(host) || host.toLowerCase() !== authority.toLowerCase())) {
    throw new StatusError(400, "Cannot route request: the Host header is not a host");
  }
  if (!isValidHost(authority)) {
    throw new StatusError(400, "Cannot route request: the request's authority is not a host");
  }
  const hash = rest.indexOf("#");
  const target = hash < 0 ? rest : rest.slice(0, hash);
  return target.startsWith("/") ? target : `/${target}`;
}
