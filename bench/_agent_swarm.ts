/**
 * The agent side of `deno task bench agents`: `count` agents, each with its own key and
 * certificate (issued here, by the cell's CA), each over its own real mTLS connection with
 * real heartbeats, dialing one cell. bench/agents.ts starts several of these processes when
 * one cannot drive the whole swarm, and talks to each over stdin/stdout (one JSON line per
 * answer) so the cell's memory is measured in a process of its own.
 *
 * Args: address caPem-file caKey-file first count heartbeatMs
 * Stdin: "stats" → {"rtts": [...], "lags": [...], "connected", "hinted"} since the last
 *        "stats" (heartbeat round trips, this process's event-loop lag samples, agents up,
 *        reconnects delayed by the cell's retry hint);
 *        (and `reasons`: why streams ended, counted by message);
 *        "stop" → stops every agent and exits.
 */
import { AgentClient } from "../lib/agent/mod.ts";
import { createCsr, generateKeyPair, signClientCsr } from "../lib/pki/mod.ts";

async function issue(ca: { certPem: string; keyPem: string }, name: string) {
  const { keys, privateKeyPem } = await generateKeyPair();
  const csr = await createCsr(keys, { commonName: name });
  const certPem = await signClientCsr(ca, csr, { identity: name });
  return { caPem: ca.certPem, certPem, keyPem: privateKeyPem };
}

function say(value: unknown) {
  console.log(JSON.stringify(value));
}

if (import.meta.main) {
  const [address, caFile, keyFile, firstArg, countArg, beatArg] = Deno.args;
  const ca = { certPem: await Deno.readTextFile(caFile), keyPem: await Deno.readTextFile(keyFile) };
  const first = Number(firstArg);
  const count = Number(countArg);
  const t0 = performance.now();
  const creds = [];
  for (let i = 0; i < count; i++) creds.push(await issue(ca, `bench-${first + i}`));
  say({ issued: count, ms: performance.now() - t0 });
  let rtts: number[] = [];
  let hinted = 0;
  // Why streams ended since the last "stats": the storm's profile (refused, reset, ...).
  let reasons: Record<string, number> = {};
  // Event-loop lag of this process, so slow round trips can be told apart from a slow cell.
  let lags: number[] = [];
  let expected = performance.now() + 100;
  const lagTimer = setInterval(() => {
    lags.push(Math.max(0, performance.now() - expected));
    expected = performance.now() + 100;
  }, 100);
  const agents = creds.map((credentials, i) =>
    new AgentClient({
      address,
      clusterName: `bench-${first + i}`,
      credentials,
      heartbeatIntervalMs: Number(beatArg),
      // A real fleet's default schedule, shortened: first retry within 0.5-1 s, jittered.
      backoff: { initialMs: 1_000, maxMs: 30_000 },
    })
  );
  for (const agent of agents) {
    agent.subscribe((e) => {
      if (e.type === "heartbeatAck") rtts.push(e.rttMs);
      if (e.type !== "disconnected") return;
      if (/retry in \d+ ms/.test(e.error ?? "")) hinted++;
      const reason = (e.error ?? "ended").replace(/\d+ ms/g, "N ms").slice(0, 70);
      reasons[reason] = (reasons[reason] ?? 0) + 1;
    });
    agent.start();
  }
  say({ started: count });
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffer = "";
  for await (const chunk of lines) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const cmd = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (cmd === "stats") {
        const connected = agents.filter((a) => a.connected).length;
        say({ rtts: rtts.map(Math.round), lags: lags.map(Math.round), connected, hinted, reasons });
        rtts = [];
        reasons = {};
        lags = [];
      } else if (cmd === "stop") {
        clearInterval(lagTimer);
        await Promise.all(agents.map((a) => a.stop()));
        say({ stopped: true });
        Deno.exit(0);
      }
    }
  }
}
