/**
 * Drives the agent swarm of the benchmarks: `procs` processes of bench/_agent_swarm.ts,
 * each issuing and running its share of the agents, talked to over stdin/stdout.
 */

/** Options for {@linkcode startSwarm}. */
export interface SwarmOptions {
  /** `host:port` of the cell's agent server. */
  address: string;
  /** Files holding the cell CA's certificate and key (PEM). */
  caFile: string;
  keyFile: string;
  agents: number;
  procs: number;
  heartbeatMs: number;
}

/** What {@linkcode Swarm.stats} answers, merged over the processes. */
export interface SwarmStats {
  /** Heartbeat round trips (ms) since the last call. */
  rtts: number[];
  /** Event-loop lag samples (ms) of the swarm processes since the last call. */
  lags: number[];
  connected: number;
  /** Reconnects delayed by the cell's retry hint, since the start. */
  hinted: number;
  /** Why streams ended since the last call, by message. */
  reasons: Record<string, number>;
}

/** A running swarm. */
export interface Swarm {
  /** Why the swarm cannot go on (a process exited), once it cannot. */
  readonly failure: string | undefined;
  /** Certificate issuance time summed over the processes (ms). */
  readonly issueMs: number;
  stats(): Promise<SwarmStats>;
  stop(): Promise<void>;
}

interface Worker {
  child: Deno.ChildProcess;
  next(): Promise<Record<string, unknown>>;
  send(cmd: string): Promise<void>;
}

function spawn(options: SwarmOptions, first: number, count: number): Worker {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_agent_swarm.ts", import.meta.url).pathname,
      options.address,
      options.caFile,
      options.keyFile,
      String(first),
      String(count),
      String(options.heartbeatMs),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stdin = child.stdin.getWriter();
  let buffered = "";
  return {
    child,
    async next() {
      while (!buffered.includes("\n")) {
        const { value, done } = await out.read();
        if (done) throw new Error("Cannot run benchmark: an agent swarm process exited");
        buffered += value;
      }
      const nl = buffered.indexOf("\n");
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      return JSON.parse(line);
    },
    send: (cmd) => stdin.write(new TextEncoder().encode(cmd + "\n")),
  };
}

/** Starts the processes; resolves once every one has issued its certificates and started. */
export async function startSwarm(options: SwarmOptions): Promise<Swarm> {
  const workers: Worker[] = [];
  const share = Math.ceil(options.agents / options.procs);
  for (let first = 0; first < options.agents; first += share) {
    workers.push(spawn(options, first, Math.min(share, options.agents - first)));
  }
  let failure: string | undefined;
  let stopping = false;
  workers.forEach((w, i) =>
    w.child.status.then((status) => {
      if (stopping) return;
      failure ??= `agent swarm process ${i} (pid ${w.child.pid}) exited: code ${status.code}` +
        (status.signal ? `, signal ${status.signal}` : "");
      console.error(`agents bench: ${failure}`);
    })
  );
  const issued = await Promise.all(workers.map((w) => w.next()));
  await Promise.all(workers.map((w) => w.next())); // started
  return {
    get failure() {
      return failure;
    },
    issueMs: issued.reduce((sum, line) => sum + Number(line.ms), 0),
    async stats() {
      await Promise.all(workers.map((w) => w.send("stats")));
      const lines = await Promise.all(workers.map((w) => w.next()));
      return {
        rtts: lines.flatMap((l) => l.rtts as number[]),
        lags: lines.flatMap((l) => l.lags as number[]),
        connected: lines.reduce((n, l) => n + Number(l.connected), 0),
        hinted: lines.reduce((n, l) => n + Number(l.hinted), 0),
        reasons: lines.reduce<Record<string, number>>((all, l) => {
          for (const [k, v] of Object.entries(l.reasons as Record<string, number>)) {
            all[k] = (all[k] ?? 0) + v;
          }
          return all;
        }, {}),
      };
    },
    async stop() {
      stopping = true;
      await Promise.all(workers.map(async (w) => {
        try {
          await w.send("stop");
          await w.next();
        } catch {
          // already gone
        }
      }));
      for (const w of workers) {
        try {
          w.child.kill();
        } catch {
          // already exited
        }
        await w.child.status;
      }
    },
  };
}
