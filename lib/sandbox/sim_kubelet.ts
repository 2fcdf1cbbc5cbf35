/**
 * A SIMULATED kubelet's streaming endpoints (sandbox only): one loopback HTTPS server per
 * simulated node, registered in the Node's `status.addresses` (InternalIP 127.0.0.1),
 * `status.daemonEndpoints.kubeletEndpoint.Port` and `status.declaredFeatures`
 * (`ExtendWebSocketsToKubelet`), so the REAL kube-apiserver dials it for
 * `kubectl exec | attach | logs`:
 *
 * - `GET /exec/{ns}/{pod}/{container}?command=...`: WebSocket `v5.channel.k8s.io`; the
 *   command runs as a LOCAL process (cwd: the node's folder), exit code on the error channel;
 * - `GET /attach/{ns}/{pod}/{container}`: attaches to the container's main process, a local
 *   process started with {@linkcode SimulatedKubelet.run} (its output is also its log);
 * - `GET /containerLogs/{ns}/{pod}/{container}[?follow=true]`: streams the container's log
 *   file (`logPath`), following appended bytes until the caller leaves.
 *
 * - `GET /portForward/{ns}/{pod}`: the WebSocket tunnel `SPDY/3.1+portforward.k8s.io`
 *   (sim_kubelet_portforward.ts), each pod port forwarded to a loopback port (`portMap`).
 *
 * The server trusts its loopback caller: the sandbox apiserver has no kubelet client
 * certificate, as it does not verify the kubelet's serving certificate either.
 */
import "reflect-metadata";
import type { KubeClient } from "../kube/mod.ts";
import { createCa, issueServerCert } from "../pki/mod.ts";
import { PORT_FORWARD_PROTOCOL, servePortForward } from "./sim_kubelet_portforward.ts";
import {
  serveSession,
  sessionOptions,
  type SessionTarget,
  type TerminalSize,
  V5_PROTOCOL,
} from "./sim_kubelet_exec.ts";

/** The feature the apiserver needs to proxy WebSockets straight to the kubelet. */
export const WEBSOCKETS_FEATURE = "ExtendWebSocketsToKubelet";

interface MainProcess extends SessionTarget {
  child: Deno.ChildProcess;
  listeners: Set<(channel: 1 | 2, data: Uint8Array) => Promise<void> | void>;
}

/** One simulated node's kubelet server; see the module doc. */
export class SimulatedKubelet {
  /** Terminal sizes received on resize channels, in order. */
  readonly resizes: TerminalSize[] = [];
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #dir: string;
  readonly #main = new Map<string, MainProcess>();
  readonly #execs = new Set<Deno.ChildProcess>();
  readonly #stop = new AbortController();
  #forwards = 0;
  /** Pod port → loopback port for port-forward; unmapped ports forward to the same number. */
  readonly portMap = new Map<number, number>();

  private constructor(dir: string, cert: { certPem: string; keyPem: string }) {
    this.#dir = dir;
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      cert: cert.certPem,
      key: cert.keyPem,
      signal: this.#stop.signal,
      onListen: () => {},
    }, (request) => this.#handle(request));
  }

  /** Starts a kubelet whose processes run and logs live in `dir`. */
  static async start(dir: string): Promise<SimulatedKubelet> {
    await Deno.mkdir(dir, { recursive: true });
    const ca = await createCa({ commonName: "lattice-sandbox-simulated-kubelet" });
    const cert = await issueServerCert(ca, { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
    return new SimulatedKubelet(dir, cert);
  }

  /** The kubelet port. */
  get port(): number {
    return this.#server.addr.port;
  }

  /** Port-forward sessions open now. */
  get forwards(): number {
    return this.#forwards;
  }

  /** Exec processes running now. */
  get execs(): number {
    return this.#execs.size;
  }

  /** The log file of a container (append to it to make `kubectl logs -f` see lines). */
  logPath(namespace: string, pod: string, container: string): string {
    return `${this.#dir}/${namespace}_${pod}_${container}.log`;
  }

  /** Points Node `name` at this kubelet (addresses, port, declared features). */
  async register(client: KubeClient, name: string): Promise<void> {
    const ref = await client.resourceFor("v1", "Node");
    await client.create({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels: { "sandbox.lattice.dev/simulated": "true" } },
    }).catch(() => {});
    await client.patchStatus(ref, name, undefined, {
      status: {
        addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
        daemonEndpoints: { kubeletEndpoint: { Port: this.port } },
        declaredFeatures: [WEBSOCKETS_FEATURE],
        conditions: [{
          type: "Ready",
          status: "True",
          reason: "KubeletReady",
          message: "simulated kubelet (Lattice sandbox)",
        }],
      },
    });
  }

  /**
   * Starts the main process of a container (what `attach` reaches); its stdout and stderr
   * are appended to the container's log file.
   */
  async run(namespace: string, pod: string, container: string, command: string[]): Promise<void> {
    const file = await Deno.open(this.logPath(namespace, pod, container), {
      create: true,
      append: true,
    });
    const child = new Deno.Command(command[0], {
      args: command.slice(1),
      cwd: this.#dir,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stdin = child.stdin.getWriter();
    const listeners = new Set<(channel: 1 | 2, data: Uint8Array) => Promise<void> | void>();
    const pump = async (stream: ReadableStream<Uint8Array>, channel: 1 | 2) => {
      for await (const chunk of stream) {
        await file.write(chunk);
        await Promise.all([...listeners].map((fn) => fn(channel, chunk)));
      }
    };
    const done = Promise.all([pump(child.stdout, 1), pump(child.stderr, 2)]);
    const exited = child.status.then(async (s) => {
      await done.catch(() => {});
      file.close();
      return s.code;
    });
    this.#main.set(`${namespace}/${pod}/${container}`, {
      child,
      listeners,
      command,
      exited,
      write: (data) => stdin.write(data),
      closeStdin: () => void stdin.close().catch(() => {}),
      listen: (fn) => {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
    });
  }

  /** Stops the server and every process it started. */
  async stop(): Promise<void> {
    for (const p of [...this.#execs, ...[...this.#main.values()].map((m) => m.child)]) {
      try {
        p.kill("SIGKILL");
      } catch { /* exited */ }
    }
    this.#stop.abort();
    await this.#server.finished;
  }

  #handle(request: Request): Response {
    const url = new URL(request.url);
    const [, kind, namespace, pod, container] = url.pathname.split("/");
    if (kind === "portForward" && namespace && pod) return this.#portForward(request);
    if (!namespace || !pod || !container) return new Response("not found\n", { status: 404 });
    if (kind === "containerLogs" && request.method === "GET") {
      return this.#logs(this.logPath(namespace, pod, container), url.searchParams, request.signal);
    }
    if (kind !== "exec" && kind !== "attach") {
      return new Response(`simulated kubelet: ${kind} is not simulated\n`, { status: 501 });
    }
    const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",")
      .map((p) => p.trim());
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("simulated kubelet: only WebSocket streaming\n", { status: 400 });
    }
    if (!offered.includes(V5_PROTOCOL)) {
      return new Response(`simulated kubelet: only ${V5_PROTOCOL}\n`, { status: 400 });
    }
    const options = sessionOptions(url.searchParams);
    const target = kind === "exec"
      ? this.#exec(url.searchParams.getAll("command"), options.stdin)
      : this.#main.get(`${namespace}/${pod}/${container}`);
    if (!target) {
      return new Response("simulated kubelet: the container has no main process\n", {
        status: 404,
      });
    }
    const { socket, response } = Deno.upgradeWebSocket(request, { protocol: V5_PROTOCOL });
    serveSession(socket, target, {
      ...options,
      onResize: (size) => this.resizes.push(size),
      // An exec whose caller left is killed; an attached main process keeps running.
      onClose: () => {
        if (kind === "exec" && "child" in target) {
          try {
            (target as MainProcess).child.kill("SIGKILL");
          } catch { /* exited */ }
        }
      },
    });
    return response;
  }

  #portForward(request: Request): Response {
    const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",")
      .map((p) => p.trim());
    if (
      request.headers.get("upgrade")?.toLowerCase() !== "websocket" ||
      !offered.includes(PORT_FORWARD_PROTOCOL)
    ) {
      return new Response(`simulated kubelet: port-forward speaks ${PORT_FORWARD_PROTOCOL}\n`, {
        status: 400,
      });
    }
    const { socket, response } = Deno.upgradeWebSocket(request, {
      protocol: PORT_FORWARD_PROTOCOL,
    });
    this.#forwards++;
    servePortForward(socket, (port) => this.portMap.get(port) ?? port, () => this.#forwards--);
    return response;
  }

  #exec(command: string[], stdin: boolean): MainProcess {
    const listeners = new Set<(channel: 1 | 2, data: Uint8Array) => Promise<void> | void>();
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(command[0] ?? "", {
        args: command.slice(1),
        cwd: this.#dir,
        stdin: stdin ? "piped" : "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      const message = new TextEncoder().encode(`exec: ${(error as Error).message}\n`);
      const exited = new Promise<number>((resolve) => setTimeout(() => resolve(127), 20));
      exited.then(() => listeners.forEach((fn) => fn(2, message)));
      return {
        child: undefined as unknown as Deno.ChildProcess,
        listeners,
        command,
        exited,
        write: () => Promise.resolve(),
        closeStdin: () => {},
        listen: (fn) => (listeners.add(fn), () => listeners.delete(fn)),
      };
    }
    this.#execs.add(child);
    const writer = stdin ? child.stdin.getWriter() : undefined;
    // Output waits for the first listener (the session subscribes once the socket opens).
    const subscribed = Promise.withResolvers<void>();
    const pump = async (stream: ReadableStream<Uint8Array>, channel: 1 | 2) => {
      await subscribed.promise;
      // A session's socket that is full holds the process's output (the pipe then stops it).
      for await (const chunk of stream) {
        await Promise.all([...listeners].map((fn) => fn(channel, chunk)));
      }
    };
    const done = Promise.all([pump(child.stdout, 1), pump(child.stderr, 2)]);
    const exited = child.status.then(async (s) => {
      await done.catch(() => {});
      this.#execs.delete(child);
      return s.code;
    });
    return {
      child,
      listeners,
      command,
      exited,
      write: (data) => writer?.write(data) ?? Promise.resolve(),
      closeStdin: () => void writer?.close().catch(() => {}),
      listen: (fn) => {
        listeners.add(fn);
        subscribed.resolve();
        return () => listeners.delete(fn);
      },
    };
  }

  #logs(path: string, query: URLSearchParams, signal: AbortSignal): Response {
    const follow = query.get("follow") === "true";
    let file: Deno.FsFile | undefined;
    const buffer = new Uint8Array(64 << 10);
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          file ??= await Deno.open(path, { read: true });
          while (!signal.aborted) {
            const n = await file.read(buffer);
            if (n !== null && n > 0) {
              controller.enqueue(buffer.slice(0, n));
              return;
            }
            if (!follow) break;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        } catch { /* no log yet, or gone */ }
        file?.close();
        file = undefined;
        controller.close();
      },
      cancel: () => {
        file?.close();
        file = undefined;
      },
    });
    return new Response(body, { headers: { "content-type": "text/plain" } });
  }
}
