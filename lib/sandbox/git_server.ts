/**
 * The sandbox's git server: git's own smart-HTTP backend (`git http-backend`, a CGI program
 * shipped with git) behind a tiny CGI bridge on loopback, so source-controller clones the
 * sandbox's cluster repository exactly as it would a remote one. Optional HTTP basic auth
 * lets tests check what wrong credentials do. Bounded: request bodies over `maxBodyBytes`
 * are refused (413) and each backend run is killed after `timeoutMs`.
 */
import { type Logger, silentLogger } from "../log/mod.ts";

/** Options for {@linkcode startGitServer}. */
export interface GitServerOptions {
  /** Folder holding the repositories (GIT_PROJECT_ROOT). */
  projectRoot: string;
  /** Require these credentials (HTTP basic) when set. */
  auth?: { username: string; password: string };
  /** Largest request body accepted; default 64 MiB. */
  maxBodyBytes?: number;
  /** Longest one backend run may take; default 60 s. */
  timeoutMs?: number;
  logger?: Logger;
}

/** A running git server. */
export interface GitServer {
  /** `http://127.0.0.1:PORT` — a repository `x.git` is at `${url}/x.git`. */
  url: string;
  /** Requests served so far. */
  requests(): number;
  stop(): Promise<void>;
}

/** Splits a CGI answer into status, headers and the body that follows the blank line. */
export function parseCgi(
  output: Uint8Array,
): { status: number; headers: Headers; body: Uint8Array } {
  let end = -1;
  let skip = 0;
  for (let i = 0; i < output.length - 1; i++) {
    if (output[i] === 10 && output[i + 1] === 10) {
      end = i;
      skip = 2;
      break;
    }
    if (
      output[i] === 13 && output[i + 1] === 10 && output[i + 2] === 13 && output[i + 3] === 10
    ) {
      end = i;
      skip = 4;
      break;
    }
  }
  if (end < 0) throw new Error("Cannot read the git backend's answer: no header end");
  const head = new TextDecoder().decode(output.subarray(0, end));
  const headers = new Headers();
  let status = 200;
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    const name = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 500;
    else headers.append(name, value);
  }
  return { status, headers, body: output.subarray(end + skip) };
}

function authorized(req: Request, auth: GitServerOptions["auth"]): boolean {
  if (!auth) return true;
  const header = req.headers.get("authorization") ?? "";
  if (!header.startsWith("Basic ")) return false;
  try {
    return atob(header.slice(6)) === `${auth.username}:${auth.password}`;
  } catch {
    return false;
  }
}

/** Starts the server on a free loopback port. */
export function startGitServer(options: GitServerOptions): Promise<GitServer> {
  const log = options.logger ?? silentLogger;
  const maxBody = options.maxBodyBytes ?? 64 * 1024 * 1024;
  let count = 0;
  const handler = async (req: Request): Promise<Response> => {
    count++;
    if (!authorized(req, options.auth)) {
      return new Response("Authentication required\n", {
        status: 401,
        headers: { "www-authenticate": 'Basic realm="lattice sandbox git"' },
      });
    }
    const length = Number(req.headers.get("content-length") ?? "0");
    if (length > maxBody) return new Response("Request body too large\n", { status: 413 });
    const body = req.body ? new Uint8Array(await req.arrayBuffer()) : new Uint8Array();
    if (body.length > maxBody) return new Response("Request body too large\n", { status: 413 });
    const url = new URL(req.url);
    const env: Record<string, string> = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      GIT_PROJECT_ROOT: options.projectRoot,
      GIT_HTTP_EXPORT_ALL: "1",
      // The repository may belong to another user than the one running the sandbox.
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "safe.directory",
      GIT_CONFIG_VALUE_0: "*",
      REQUEST_METHOD: req.method,
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers.get("content-type") ?? "",
      CONTENT_LENGTH: String(body.length),
      REMOTE_ADDR: "127.0.0.1",
      REMOTE_USER: options.auth?.username ?? "",
      SERVER_PROTOCOL: "HTTP/1.1",
    };
    const encoding = req.headers.get("content-encoding");
    if (encoding) env.HTTP_CONTENT_ENCODING = encoding;
    const protocol = req.headers.get("git-protocol");
    if (protocol) env.GIT_PROTOCOL = protocol;
    const child = new Deno.Command("git", {
      args: ["http-backend"],
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
    }, options.timeoutMs ?? 60_000);
    try {
      const writer = child.stdin.getWriter();
      await writer.write(body).catch(() => {});
      await writer.close().catch(() => {});
      const out = await child.output();
      if (!out.success && out.stdout.length === 0) {
        const detail = new TextDecoder().decode(out.stderr).trim();
        log.warn("git http-backend failed", { path: url.pathname, detail });
        return new Response(`git http-backend failed: ${detail}\n`, { status: 500 });
      }
      const cgi = parseCgi(out.stdout);
      return new Response(cgi.body as Uint8Array<ArrayBuffer>, {
        status: cgi.status,
        headers: cgi.headers,
      });
    } catch (error) {
      return new Response(`Cannot serve git: ${(error as Error).message}\n`, { status: 500 });
    } finally {
      clearTimeout(timer);
    }
  };
  const ready = Promise.withResolvers<GitServer>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => {
      ready.resolve({
        url: `http://127.0.0.1:${port}`,
        requests: () => count,
        stop: () => server.shutdown(),
      });
    },
  }, handler);
  return ready.promise;
}
