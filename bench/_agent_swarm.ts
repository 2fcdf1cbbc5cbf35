/**
 * The agent side of `deno task bench agents`: N agents, each with its own key and
 * certificate, in one process, dialing one cell. Driven over stdin/stdout by bench/agents.ts
 * (one JSON line per answer) so the cell's memory is measured in a process of its own.
 *
 * Args: address caPem-file caKey-file count heartbeatMs
 * Stdin: "stats" → {"count","p50","p99"} of heartbeat round trips since the last "stats";
 *        "stop" → stops every agent and exits.
 */
import { AgentClient } from "../lib/agent/mod.ts";
import { createCsr, generateKeyPair, signClientCsr } from "../lib/pki/mod.ts";
import { percentile } from "./_harness.ts";

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
  const [address, caFile, keyFile, countArg, beatArg] = Deno.args;
  const ca = { certPem: await Deno.readTextFile(caFile), keyPem: await Deno.readTextFile(keyFile) };
  const count = Number(countArg);
  const t0 = performance.now();
  const creds = [];
  for (let i = 0; i < count; i++) creds.push(await issue(ca, `bench-${i}`));
  say({ issued: count, ms: performance.now() - t0 });
  let rtts: number[] = [];
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
      clusterName: `bench-${i}`,
      credentials,
      heartbeatIntervalMs: Number(beatArg),
      // Storm settings: first retry within 0.5-1 s, like a real fleet's default.
      backoff: { initialMs: 1_000, maxMs: 30_000 },
    })
  );
  for (const agent of agents) {
    agent.subscribe((e) => {
      if (e.type === "heartbeatAck") rtts.push(e.rttMs);
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
        say({
          count: rtts.length,
          p50: percentile(rtts, 50),
          p99: percentile(rtts, 99),
          lagP99: percentile(lags, 99),
        });
        rtts = [];
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
