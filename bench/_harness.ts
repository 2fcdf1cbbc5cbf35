/**
 * The benchmark harness: a benchmark computes `{metric: number}`; the harness prints it
 * as a table and writes bench/results/NAME.json.
 */

/** Results of one benchmark: metric name → value. Units belong in the metric name. */
export type BenchResults = Record<string, number>;

/** Prints `results` as a table and writes them to bench/results/<name>.json. */
export async function report(name: string, results: BenchResults): Promise<void> {
  const width = Math.max(6, ...Object.keys(results).map((k) => k.length));
  console.log(`\n${name}`);
  console.log(`${"metric".padEnd(width)}  value`);
  console.log(`${"-".repeat(width)}  ${"-".repeat(12)}`);
  for (const [metric, value] of Object.entries(results)) {
    const shown = Number.isInteger(value) ? String(value) : value.toFixed(3);
    console.log(`${metric.padEnd(width)}  ${shown}`);
  }
  const dir = new URL("./results/", import.meta.url);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    new URL(`${name}.json`, dir),
    JSON.stringify(results, null, 2) + "\n",
  );
}

/** Runs `fn` when the benchmark file is the main module, then reports. */
export async function runBench(name: string, fn: () => Promise<BenchResults>): Promise<void> {
  await report(name, await fn());
}

/** The p-th percentile (0–100) of `values`, by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Resident set size of this process in MiB. */
export function rssMiB(): number {
  return Deno.memoryUsage().rss / (1024 * 1024);
}

/** Resident set size of any process in KiB (0 when it is gone). */
export async function processRssKiB(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Samples the summed RSS of the processes `pids()` names every 250 ms; `peakMiB()` reads
 * the highest sum so far (call `sample()` once more at the end).
 */
export function peakMemory(pids: () => number[]) {
  let peakKiB = 0;
  const sample = async () => {
    let total = 0;
    for (const pid of pids()) total += await processRssKiB(pid);
    peakKiB = Math.max(peakKiB, total);
  };
  const timer = setInterval(() => void sample(), 250);
  return {
    sample,
    peakMiB: () => peakKiB / 1024,
    stop: () => clearInterval(timer),
  };
}

/**
 * A benchmark size: `--name=value` (or `--name value`) among the arguments, else the
 * environment variable `env`, else `fallback`. Throws on a value that is not a number.
 */
export function benchSize(
  name: string,
  env: string,
  fallback: number,
  args: readonly string[] = Deno.args,
): number {
  let raw: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) raw = args[i + 1];
    else if (args[i].startsWith(`--${name}=`)) raw = args[i].slice(name.length + 3);
  }
  raw ??= Deno.env.get(env);
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`Cannot run benchmark: --${name} (${env}) must be a number, got "${raw}"`);
  }
  return value;
}

/**
 * CPU time (user + system, seconds) this process has used, from /proc/self/stat: unlike
 * wall time it hardly depends on what else the machine runs. NaN where /proc is absent.
 */
export function cpuSeconds(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the file (11 and 12 after the name).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
