/**
 * `lattice cluster tree --live [--watch]`: the tree of a cell's live fleet state instead of
 * the repository's folders. Where to read comes from the options, then the environment
 * (LATTICE_CELL_URL, LATTICE_TOKEN, LATTICE_CA_FILE), then a running `lattice sandbox`.
 */
import { type CliContext, CliError, type ParsedArgs, stringOption } from "../cli/command.ts";
import { fetchFleet, FleetClientError, type FleetClientOptions, followFleet } from "./client.ts";
import { renderLiveTree } from "./tree.ts";
import type { FleetSnapshot } from "./view.ts";

/** Options `cluster tree` gains for --live. */
export const LIVE_OPTIONS = {
  live: { type: "boolean" as const },
  watch: { type: "boolean" as const },
  cell: { type: "string" as const },
  token: { type: "string" as const },
  "token-file": { type: "string" as const },
  ca: { type: "string" as const },
  updates: { type: "string" as const },
};

/** Help of {@linkcode LIVE_OPTIONS}. */
export const LIVE_HELP = {
  live: "Show the live state of a cell's fleet instead of the repository's tree",
  watch: "With --live: keep following and print the tree again on every change",
  cell: "Cell URL (default LATTICE_CELL_URL, else the running sandbox's root cell)",
  token: "Bearer token (default LATTICE_TOKEN, else the sandbox's fleet token)",
  "token-file": "File holding the bearer token",
  ca: "CA file of the cell's certificate (default LATTICE_CA_FILE, else the sandbox's)",
  updates: "With --watch: stop after this many updates",
};

interface SandboxHints {
  cellUrl?: string;
  tokenFile?: string;
  caFile?: string;
}

async function sandboxHints(env: CliContext["env"]): Promise<SandboxHints> {
  const dir = env.LATTICE_SANDBOX_DIR ?? `${env.HOME ?? "/tmp"}/.cache/lattice/sandbox`;
  try {
    const state = JSON.parse(await Deno.readTextFile(`${dir}/state.json`)) as {
      fleet?: SandboxHints;
    };
    return state.fleet ?? {};
  } catch {
    return {};
  }
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch (error) {
    throw new CliError(`Cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

/** Where to read from, resolved; a CliError names what is missing. */
export async function liveTarget(args: ParsedArgs, ctx: CliContext): Promise<FleetClientOptions> {
  const hints = await sandboxHints(ctx.env);
  const cellUrl = stringOption(args, "cell") ?? ctx.env.LATTICE_CELL_URL ?? hints.cellUrl;
  if (!cellUrl) {
    throw new CliError(
      "Cannot show the live tree: no cell given (--cell URL or LATTICE_CELL_URL; or start " +
        "'lattice sandbox up')",
    );
  }
  const tokenFile = stringOption(args, "token-file");
  const token = stringOption(args, "token") ??
    (tokenFile ? await readText(tokenFile, "token file") : undefined) ??
    ctx.env.LATTICE_TOKEN ??
    (hints.tokenFile ? await readText(hints.tokenFile, "sandbox token file") : undefined);
  if (!token) {
    throw new CliError(
      "Cannot show the live tree: no bearer token (--token, --token-file or LATTICE_TOKEN)",
    );
  }
  const caFile = stringOption(args, "ca") ?? ctx.env.LATTICE_CA_FILE ?? hints.caFile;
  const caPem = caFile ? await readText(caFile, "CA file") : undefined;
  return { cellUrl, token, caPem };
}

function header(snapshot: FleetSnapshot): string {
  const notes = [
    `${snapshot.clusters.length} clusters`,
    `at ${new Date(snapshot.at).toISOString()}`,
  ];
  if (snapshot.truncated) notes.push(`${snapshot.truncated} beyond the limits not shown`);
  if (snapshot.hidden) notes.push(`${snapshot.hidden} hidden by RBAC`);
  return `Live fleet of cell ${snapshot.cell} (${notes.join(", ")})`;
}

/** Runs `cluster tree --live`. */
export async function runLiveTree(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const target = await liveTarget(args, ctx);
  const json = stringOption(args, "output") === "json";
  const print = (s: FleetSnapshot) => {
    if (json) ctx.stdout(JSON.stringify(s, null, 2));
    else ctx.stdout(`${header(s)}\n${renderLiveTree(s.clusters, s.cell)}`);
  };
  try {
    if (!args.values.watch) {
      print(await fetchFleet(target));
      return 0;
    }
    const limit = Number(stringOption(args, "updates") ?? "0");
    if (!Number.isInteger(limit) || limit < 0) {
      throw new CliError(`--updates ${stringOption(args, "updates")}: must be a whole number`);
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    Deno.addSignalListener("SIGINT", onSignal);
    let count = 0;
    let last = "";
    try {
      await followFleet({ ...target, signal: stop.signal }, (s) => {
        const text = renderLiveTree(s.clusters, s.cell, s.at);
        if (text === last) return;
        last = text;
        if (count > 0 && !json) ctx.stdout("");
        print(s);
        count++;
        return limit === 0 || count < limit;
      }).catch((error) => {
        if (!stop.signal.aborted) throw error;
      });
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
    }
    return 0;
  } catch (error) {
    if (error instanceof FleetClientError) throw new CliError(error.message, 1, { cause: error });
    throw error;
  }
}
