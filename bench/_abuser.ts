/**
 * The abusive client of `deno task bench abuse`, run as its own process so the cell's
 * memory is measured alone. One scenario per run, bounded in count and time, loopback only;
 * it prints one JSON line of counters when done.
 *
 *   deno run -A bench/_abuser.ts SCENARIO CONFIG_JSON
 */
import net from "node:net";
import tls from "node:tls";
import { Buffer } from "node:buffer";
import { AgentClient } from "../lib/agent/mod.ts";

/** What the benchmark hands the abuser. */
export interface AbuseConfig {
  port: number;
  grpcEndpoint: string;
  caPem: string;
  /** A valid token without proxy permission. */
  idleToken: string;
  /** A token allowed to proxy to `cluster`. */
  token: string;
  cluster: string;
  /** Credentials of a deleted (revoked) cluster, for the reconnect storm. */
  revoked?: { name: string; certPem: string; keyPem: string };
  /** A SHA-1-signed CSR for the webhook flood. */
  sha1Csr?: string;
  durationMs: number;
}

type Counters = Record<string, number>;

function address(i: number): string {
  // 127.0.<1..250>.<2..250>: many clients, none of them 127.0.0.1 (the legitimate one).
  return `127.0.${1 + (i % 250)}.${2 + Math.floor(i / 250) % 248}`;
}

function tlsSocket(config: AbuseConfig, localAddress: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const raw = net.connect({ host: "127.0.0.1", port: config.port, localAddress });
    raw.on("error", reject);
    raw.once("connect", () => {
      const socket = tls.connect(
        { socket: raw, servername: "localhost", ca: config.caPem },
        () => resolve(socket),
      );
      socket.on("error", reject);
    });
  });
}

/** Sends one request head and a chunked body of up to `bytes`; resolves with the status. */
function chunkedPost(
  config: AbuseConfig,
  localAddress: string,
  token: string,
  bytes: number,
): Promise<{ status: number; sent: number }> {
  return tlsSocket(config, localAddress).then((socket) =>
    new Promise((resolve) => {
      let sent = 0;
      let head = "";
      let done = false;
      const finish = (status: number) => {
        if (done) return;
        done = true;
        socket.destroy();
        resolve({ status, sent });
      };
      socket.on("data", (chunk: Buffer) => {
        head += chunk.toString("latin1");
        if (head.includes("\r\n")) finish(Number(head.split(" ")[1]));
      });
      socket.on("close", () => finish(0));
      socket.on("error", () => finish(0));
      socket.write(
        `POST /clusters/${config.cluster}/api/v1/namespaces/default/configmaps HTTP/1.1\r\n` +
          `Host: localhost\r\nAuthorization: Bearer ${token}\r\n` +
          "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      );
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const frame = Buffer.concat([
        Buffer.from(`${chunk.length.toString(16)}\r\n`),
        chunk,
        Buffer.from("\r\n"),
      ]);
      const pump = () => {
        while (!done && sent < bytes) {
          sent += chunk.length;
          if (!socket.write(frame)) return void socket.once("drain", pump);
        }
        if (!done) socket.write("0\r\n\r\n");
      };
      pump();
    })
  );
}

async function untilDeadline(
  config: AbuseConfig,
  workers: number,
  fn: (worker: number, i: number) => Promise<void>,
): Promise<void> {
  const end = Date.now() + config.durationMs;
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; Date.now() < end; i++) await fn(w, i).catch(() => {});
  }));
}

function count(counters: Counters, key: string): void {
  counters[key] = (counters[key] ?? 0) + 1;
}

const scenarios: Record<string, (config: AbuseConfig) => Promise<Counters>> = {
  /** 1 GiB chunked bodies from a token with no permission, and over-limit bodies. */
  async bodies(config) {
    const counters: Counters = { mib_offered: 0, mib_sent: 0 };
    await untilDeadline(config, 8, async (w) => {
      // ABUSE_BODIES=refused|allowed runs only one kind (for profiling); default both.
      const kind = Deno.env.get("ABUSE_BODIES") ?? (w % 2 === 0 ? "refused" : "allowed");
      const token = kind === "refused" ? config.idleToken : config.token;
      const r = await chunkedPost(config, address(w), token, 1 << 30);
      counters.mib_offered += 1024;
      counters.mib_sent += r.sent / (1 << 20);
      count(counters, `status_${r.status}`);
    });
    return counters;
  },
  /** 3,000 TCP connections that never start TLS, and 200 idle TLS connections. */
  async connections(config) {
    const counters: Counters = { opened: 0, idle_tls: 0 };
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 3_000; i++) {
      const socket = net.connect({
        host: "127.0.0.1",
        port: config.port,
        localAddress: address(i),
      });
      socket.on("error", () => {});
      socket.resume();
      sockets.push(socket);
      counters.opened++;
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 10));
    }
    for (let i = 0; i < 200; i++) {
      const socket = await tlsSocket(config, address(1_000 + i)).catch(() => undefined);
      if (socket) {
        socket.on("error", () => {});
        sockets.push(socket);
        counters.idle_tls++;
      }
    }
    await new Promise((r) => setTimeout(r, config.durationMs));
    for (const s of sockets) s.destroy();
    return counters;
  },
  /** Slowloris: request heads sent a byte at a time. */
  async slowloris(config) {
    const counters: Counters = { started: 0 };
    const head = "GET /clusters/x/api HTTP/1.1\r\nHost: localhost\r\nX-Pad: ";
    const sockets: tls.TLSSocket[] = [];
    for (let i = 0; i < 300; i++) {
      const socket = await tlsSocket(config, address(2_000 + i)).catch(() => undefined);
      if (!socket) continue;
      socket.on("error", () => {});
      socket.write(head);
      sockets.push(socket);
      counters.started++;
    }
    const end = Date.now() + config.durationMs;
    while (Date.now() < end) {
      for (const s of sockets) if (!s.destroyed) s.write("a");
      await new Promise((r) => setTimeout(r, 1_000));
    }
    counters.closed_by_server = sockets.filter((s) => s.destroyed).length;
    for (const s of sockets) s.destroy();
    return counters;
  },
  /** Random bad tokens from a few addresses. */
  async tokens(config) {
    const counters: Counters = {};
    await untilDeadline(config, 16, async (w, i) => {
      const status = await getStatus(config, address(3_000 + (w % 4)), `guess-${w}-${i}`);
      count(counters, `status_${status}`);
    });
    return counters;
  },
  /** A valid token's request flood from one address. */
  async flood(config) {
    const counters: Counters = {};
    await untilDeadline(config, 32, async () => {
      const status = await getStatus(config, address(4_000), config.token);
      count(counters, `status_${status}`);
    });
    return counters;
  },
  /** Registrations with SHA-1 CSRs and Host headers carrying proxy paths. */
  async webhook(config) {
    const counters: Counters = {};
    await untilDeadline(config, 8, async (w, i) => {
      const socket = await tlsSocket(config, address(5_000 + w));
      const status = await new Promise<number>((resolve) => {
        let text = "";
        socket.on("data", (b: Buffer) => {
          text += b.toString("latin1");
          if (text.includes("\r\n")) resolve(Number(text.split(" ")[1]));
        });
        socket.on("close", () => resolve(0));
        socket.on("error", () => resolve(0));
        if (i % 2 === 0) {
          const body = JSON.stringify({ token: "x".repeat(43), csr: config.sha1Csr ?? "" });
          socket.write(
            `POST /api/clusters/${config.cluster}/register HTTP/1.1\r\nHost: localhost\r\n` +
              `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
          );
        } else {
          socket.write(
            "GET /api/clusters/x/register HTTP/1.1\r\n" +
              `Host: localhost/clusters/${config.cluster}/api/v1/secrets?\r\n` +
              `Authorization: Bearer ${config.token}\r\n\r\n`,
          );
        }
      });
      socket.destroy();
      count(counters, `status_${status}`);
    });
    return counters;
  },
  /** A deleted cluster's agent reconnecting as fast as it can. */
  async revoked(config) {
    const counters: Counters = { refused: 0, connected: 0 };
    if (!config.revoked) return counters;
    const agents = Array.from({ length: 4 }, () =>
      new AgentClient({
        address: config.grpcEndpoint,
        clusterName: config.revoked!.name,
        credentials: { caPem: config.caPem, ...config.revoked! },
        backoff: { initialMs: 5, maxMs: 20 },
      }));
    for (const agent of agents) {
      agent.subscribe((e) => {
        if (e.type === "disconnected") counters.refused++;
        if (e.type === "connected") counters.connected++;
      });
      agent.start();
    }
    await new Promise((r) => setTimeout(r, config.durationMs));
    await Promise.all(agents.map((a) => a.stop()));
    return counters;
  },
};

function getStatus(config: AbuseConfig, localAddress: string, token: string): Promise<number> {
  return tlsSocket(config, localAddress).then((socket) =>
    new Promise<number>((resolve) => {
      let text = "";
      socket.on("data", (b: Buffer) => {
        text += b.toString("latin1");
        if (text.includes("\r\n")) {
          socket.destroy();
          resolve(Number(text.split(" ")[1]));
        }
      });
      socket.on("close", () => resolve(0));
      socket.on("error", () => resolve(0));
      socket.write(
        `GET /clusters/${config.cluster}/version HTTP/1.1\r\nHost: localhost\r\n` +
          `Authorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
      );
    })
  );
}

if (import.meta.main) {
  const [scenario, json] = Deno.args;
  const run = scenarios[scenario];
  if (!run) {
    console.error(`unknown scenario ${scenario} (have ${Object.keys(scenarios).join(", ")})`);
    Deno.exit(2);
  }
  const counters = await run(JSON.parse(await Deno.readTextFile(json)) as AbuseConfig);
  console.log(JSON.stringify(counters));
  Deno.exit(0);
}

/** The scenario names, in the order the benchmark runs them. */
export const SCENARIOS = Object.keys(scenarios);
