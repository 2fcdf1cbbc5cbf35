/**
 * `deno task bench [NAME...]`: runs bench/NAME.ts (all of bench/*.ts without a name),
 * each in its own process so memory figures are its own. Each prints a table and writes
 * bench/results/NAME.json. Arguments starting with `--` (`--agents=2000`) are passed to
 * each benchmark as its sizes.
 */
const dir = new URL("../bench/", import.meta.url);

/** Benchmark names found in bench/ (files not starting with `_`). */
export async function benchNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.startsWith("_")) {
      names.push(entry.name.slice(0, -3));
    }
  }
  return names.sort();
}

if (import.meta.main) {
  const all = await benchNames();
  // `--name=value` arguments are sizes, handed to every benchmark run (bench/_harness.ts).
  const flags = Deno.args.filter((a) => a.startsWith("--"));
  const given = Deno.args.filter((a) => !a.startsWith("--"));
  const names = given.length > 0 ? given : all;
  let failed = 0;
  for (const name of names) {
    if (!all.includes(name)) {
      console.error(`unknown benchmark: ${name} (have: ${all.join(", ") || "none"})`);
      Deno.exit(2);
    }
    const status = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(`${name}.ts`, dir).pathname, ...flags],
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    if (!status.success) {
      console.error(`benchmark ${name} failed (exit ${status.code})`);
      failed++;
    }
  }
  Deno.exit(failed === 0 ? 0 : 1);
}
