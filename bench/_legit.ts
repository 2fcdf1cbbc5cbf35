/**
 * The legitimate client of `deno task bench abuse`, as its own process and from its own
 * loopback address (127.0.0.2; the abuser never uses it): GETs through the proxy every
 * 20 ms for the given time, after a short warm-up, and prints one JSON line
 * `{samples: number[], errors: number}` (latencies in ms).
 *
 *   deno run -A bench/_legit.ts CONFIG_JSON DURATION_MS
 */

/** What the benchmark hands the legitimate client. */
export interface LegitConfig {
  port: number;
  caPem: string;
  token: string;
  path: string;
  /** Source address; default 127.0.0.2. */
  localAddress?: string;
}

if (import.meta.main) {
  const config = JSON.parse(await Deno.readTextFile(Deno.args[0])) as LegitConfig;
  const duration = Number(Deno.args[1]);
  const client = Deno.createHttpClient({
    caCerts: [config.caPem],
    localAddress: config.localAddress ?? "127.0.0.2",
  });
  const url = `https://localhost:${config.port}${config.path}`;
  const headers = { authorization: `Bearer ${config.token}` };
  const samples: number[] = [];
  let errors = 0;
  let firstError = "";
  const warmUntil = performance.now() + 500;
  const end = performance.now() + 500 + duration;
  while (performance.now() < end) {
    const started = performance.now();
    try {
      const res = await fetch(url, { headers, client });
      const body = await res.text();
      if (res.status !== 200) {
        errors++;
        firstError ||= `${res.status} ${body.slice(0, 200)}`;
      } else if (started >= warmUntil) samples.push(performance.now() - started);
    } catch (error) {
      errors++;
      firstError ||= String(error);
    }
    const left = 20 - (performance.now() - started);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
  }
  if (firstError) console.error(`legitimate client: ${errors} errors, first: ${firstError}`);
  console.log(JSON.stringify({ samples, errors }));
  client.close();
}
