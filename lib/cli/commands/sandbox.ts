/**
 * `lattice sandbox up|down|status`: a local fleet on real local control planes, with Cluster
 * API's controllers and machines simulated (the CAPI simulator). `up` stays in the
 * foreground holding every plane; `down` (or Ctrl-C) stops it.
 */
import type { LatticeClusterInput } from "../../api/mod.ts";
import { createLogger, type Level, LEVELS } from "../../log/mod.ts";
import {
  exampleClusters,
  inProcessOperator,
  parseClusters,
  Sandbox,
  sourceShim,
} from "../../sandbox/mod.ts";
import { type CliContext, CliError, type Command, stringOption } from "../command.ts";
import { KubeClient } from "../../kube/mod.ts";
import { fleetViewerToken } from "../../fleet/viewer.ts";
import { ensureFluxBinaries } from "../../sandbox/flux_binaries.ts";
import { type AccessCell, type AccessFile, sandboxAccess } from "../../sandbox/access.ts";
import { resolveBinaries } from "../../sandbox/binaries.ts";

/** `kubectl` when it is on PATH, else the project-built one (absolute path). */
async function kubectlCommand(env: CliContext["env"]): Promise<string> {
  for (const dir of (env.PATH ?? "").split(":")) {
    if (!dir) continue;
    try {
      if ((await Deno.stat(`${dir}/kubectl`)).isFile) return "kubectl";
    } catch { /* not here */ }
  }
  try {
    return (await resolveBinaries({ env: { ...env } })).kubectl;
  } catch {
    return "kubectl";
  }
}

/** Sets up the sandbox admin and writes a proxy kubeconfig per (cluster, cell above it). */
async function proxyAccess(
  sandbox: Sandbox,
  rows: { name: string; parent?: string; kubeconfigPath?: string }[],
  dir: string,
): Promise<AccessFile[]> {
  const cells: Record<string, AccessCell> = {};
  const kubeconfigOf = async (name: string) =>
    name === "bootstrap"
      ? sandbox.bootstrap.kubeconfig
      : await Deno.readTextFile(rows.find((r) => r.name === name)!.kubeconfigPath!);
  for (const name of ["bootstrap", ...rows.map((r) => r.name)]) {
    const operator = sandbox.operatorOf(name);
    if (operator?.cellUrl && operator.caPem) {
      cells[name] = {
        url: operator.cellUrl,
        caPem: operator.caPem,
        kubeconfig: await kubeconfigOf(name),
      };
    }
  }
  const clusters = [];
  for (const row of rows) {
    if (row.kubeconfigPath) {
      clusters.push({
        name: row.name,
        parent: row.parent,
        kubeconfig: await kubeconfigOf(row.name),
      });
    }
  }
  return await sandboxAccess({ dir, clusters, cells });
}

/** What `up` leaves for `down` and `status`. */
export interface SandboxState {
  pid: number;
  startedAt: string;
  dir: string;
  clusters: { name: string; parent?: string; kubeconfigPath?: string }[];
  cells: Record<string, string>;
  /** The root cell's fleet page and how to open it (`lattice cluster tree --live` reads it). */
  fleet?: { pageUrl: string; cellUrl: string; tokenFile: string; caFile: string };
  /** The cluster repository (GitOps mode). */
  repo?: string;
}

/** The sandbox's folder: LATTICE_SANDBOX_DIR or ~/.cache/lattice/sandbox. */
export function sandboxDir(env: CliContext["env"]): string {
  return env.LATTICE_SANDBOX_DIR ?? `${env.HOME ?? "/tmp"}/.cache/lattice/sandbox`;
}

async function readState(dir: string): Promise<SandboxState | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(`${dir}/state.json`)) as SandboxState;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

async function loadClusters(file: string | undefined): Promise<LatticeClusterInput[]> {
  if (!file) return exampleClusters();
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    throw new CliError(`Cannot read ${file}: ${(error as Error).message}`, 1, { cause: error });
  }
  try {
    return parseClusters(text, file);
  } catch (error) {
    throw new CliError((error as Error).message, 1, { cause: error });
  }
}

const up: Command = {
  name: "up",
  summary: "Start the bootstrap cell and provision the example clusters",
  usage: "lattice sandbox up [--clusters FILE] [--repo DIR | --no-gitops] [--exit-when-ready]",
  options: {
    clusters: { type: "string" },
    repo: { type: "string" },
    "no-gitops": { type: "boolean" },
    "exit-when-ready": { type: "boolean" },
    timeout: { type: "string" },
  },
  optionHelp: {
    clusters: "LatticeCluster manifests to create (default: the examples/ fleet)",
    repo: "The cluster repository Flux syncs (default <sandbox>/repo; created with the fleet)",
    "no-gitops": "No repository and no Flux: apply every cluster directly",
    "exit-when-ready": "Tear everything down once every cluster is Ready (smoke test)",
    timeout: "Seconds to wait for every cluster to be Ready (default 600)",
  },
  async run(args, ctx) {
    const dir = sandboxDir(ctx.env);
    const previous = await readState(dir);
    if (previous && alive(previous.pid)) {
      throw new CliError(
        `A sandbox is already running (pid ${previous.pid}); run 'lattice sandbox down' first.`,
      );
    }
    const clusters = await loadClusters(stringOption(args, "clusters"));
    const timeoutS = Number(stringOption(args, "timeout") ?? "600");
    const level = (LEVELS as readonly string[]).includes(ctx.env.LATTICE_LOG ?? "")
      ? ctx.env.LATTICE_LOG as Level
      : "warn";
    const logger = createLogger({ level, format: "text", sink: ctx.stderr });
    await Deno.mkdir(dir, { recursive: true });
    ctx.stdout(`Sandbox folder: ${dir}`);
    ctx.stdout(
      "Cluster API's controllers and machines are simulated (CAPI simulator); " +
        "apiservers, webhook, join, stream, pivot and proxy are real.",
    );
    const gitops = !args.values["no-gitops"];
    const repo = stringOption(args, "repo") ?? `${dir}/repo`;
    if (gitops) {
      await ensureFluxBinaries(ctx.stdout).catch((error) => {
        throw new CliError((error as Error).message, 1, { cause: error });
      });
    }
    const sandbox = await Sandbox.up({
      clusters,
      dir,
      gitops: gitops ? { repoDir: repo } : undefined,
      logger,
      print: ctx.stdout,
      timeoutMs: timeoutS * 1000,
      startOperator: inProcessOperator({ binary: await sourceShim(`${dir}/bin`) }),
    }).catch((error) => {
      throw new CliError(`Cannot start the sandbox: ${(error as Error).message}`, 1, {
        cause: error,
      });
    });
    const rows = await sandbox.rows();
    const cells: Record<string, string> = {};
    for (const name of ["bootstrap", ...rows.map((r) => r.name)]) {
      const url = sandbox.operatorOf(name)?.cellUrl;
      if (url) cells[name] = url;
    }
    const state: SandboxState = {
      pid: Deno.pid,
      startedAt: new Date().toISOString(),
      dir,
      clusters: rows.map((r) => ({
        name: r.name,
        parent: r.parent,
        kubeconfigPath: r.kubeconfigPath,
      })),
      cells,
      repo: sandbox.gitops?.repoDir,
    };
    const root = sandbox.operatorOf("bootstrap");
    let token = "";
    if (root?.cellUrl && root.caPem) {
      const client = KubeClient.fromKubeconfig(sandbox.bootstrap.kubeconfig);
      try {
        token = await fleetViewerToken(client);
      } finally {
        client.close();
      }
      state.fleet = {
        pageUrl: `${root.cellUrl}/fleet/`,
        cellUrl: root.cellUrl,
        tokenFile: `${dir}/fleet-token`,
        caFile: `${dir}/cell-ca.pem`,
      };
      await Deno.writeTextFile(state.fleet.tokenFile, token, { mode: 0o600 });
      await Deno.writeTextFile(state.fleet.caFile, root.caPem);
    }
    await Deno.writeTextFile(`${dir}/state.json`, JSON.stringify(state, null, 2));
    ctx.stdout("");
    for (const line of await sandbox.summary()) ctx.stdout(line);
    if (state.fleet) {
      ctx.stdout("");
      ctx.stdout(`Fleet view: ${state.fleet.pageUrl}`);
      ctx.stdout(`  token (24 h, read-only): ${token}`);
      ctx.stdout(
        `  the token is also in ${state.fleet.tokenFile}; the cell's CA is ` +
          `${state.fleet.caFile} (trust it, or accept the self-signed certificate)`,
      );
      ctx.stdout("  live tree in a terminal: lattice cluster tree --live --watch");
    }
    ctx.stdout("");
    if (sandbox.gitops) {
      ctx.stdout(`Cluster repository: ${sandbox.gitops.repoDir}`);
      ctx.stdout(
        `  cd ${sandbox.gitops.repoDir} && lattice cluster create NAME --parent ` +
          `${rows.find((r) => r.parent === "bootstrap")?.name ?? "ROOT"} && git commit -am ...`,
      );
      ctx.stdout(
        "  Every cluster's Flux (real source- and kustomize-controller) syncs its folder.",
      );
    }
    const kubectl = await kubectlCommand(ctx.env);
    ctx.stdout("Reach each cluster directly (admin):");
    ctx.stdout(`  ${kubectl} --kubeconfig ${dir}/kubeconfigs/bootstrap.yaml get latticeclusters`);
    for (const row of rows) ctx.stdout(`  ${kubectl} --kubeconfig ${row.kubeconfigPath} get nodes`);
    const access = await proxyAccess(sandbox, rows, `${dir}/kubeconfigs`).catch((error) => {
      logger.warn("Cannot set up access through the proxy", { error });
      return [];
    });
    if (access.length > 0) {
      ctx.stdout(
        "Through the cells' proxies (agent streams; a 24 h token of lattice-sandbox-admin, " +
          "cluster-admin on each child):",
      );
      for (const file of access) {
        const path = file.hops.length > 1 ? ` (via ${file.hops.slice(0, -1).join(", ")})` : "";
        ctx.stdout(`  # ${file.cluster} through ${file.via}'s proxy${path}`);
        ctx.stdout(`  ${kubectl} --kubeconfig ${file.path} get nodes`);
      }
    }
    if (args.values["exit-when-ready"]) {
      ctx.stdout("Stopping the sandbox ...");
      await sandbox.down();
      await Deno.remove(`${dir}/state.json`).catch(() => {});
      ctx.stdout("Sandbox stopped.");
      return 0;
    }
    ctx.stdout("\nSandbox running; Ctrl-C or 'lattice sandbox down' stops it.");
    const stop = Promise.withResolvers<void>();
    const onSignal = () => stop.resolve();
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
    await stop.promise;
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    ctx.stdout("Stopping the sandbox ...");
    await sandbox.down();
    await Deno.remove(`${dir}/state.json`).catch(() => {});
    ctx.stdout("Sandbox stopped.");
    return 0;
  },
};

const down: Command = {
  name: "down",
  summary: "Stop the running sandbox and every control plane it holds",
  usage: "lattice sandbox down",
  async run(_args, ctx) {
    const dir = sandboxDir(ctx.env);
    const state = await readState(dir);
    if (!state || !alive(state.pid)) {
      await Deno.remove(`${dir}/state.json`).catch(() => {});
      ctx.stdout("No sandbox is running.");
      return 0;
    }
    Deno.kill(state.pid, "SIGTERM");
    const deadline = Date.now() + 120_000;
    while (alive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    if (alive(state.pid)) {
      throw new CliError(`Cannot stop the sandbox: pid ${state.pid} still runs`);
    }
    ctx.stdout(`Sandbox stopped (pid ${state.pid}).`);
    return 0;
  },
};

const status: Command = {
  name: "status",
  summary: "Show the sandbox's clusters and how to reach them",
  usage: "lattice sandbox status",
  async run(_args, ctx) {
    const state = await readState(sandboxDir(ctx.env));
    if (!state || !alive(state.pid)) {
      ctx.stdout("No sandbox is running. Start one with 'lattice sandbox up'.");
      return 1;
    }
    ctx.stdout(`Sandbox running (pid ${state.pid}) since ${state.startedAt}`);
    for (const c of state.clusters) {
      ctx.stdout(
        `  ${c.name.padEnd(12)} parent ${(c.parent ?? "-").padEnd(10)} ${c.kubeconfigPath ?? ""}`,
      );
    }
    for (const [name, url] of Object.entries(state.cells)) ctx.stdout(`  cell ${name}: ${url}`);
    if (state.fleet) {
      ctx.stdout(`  fleet view: ${state.fleet.pageUrl} (token in ${state.fleet.tokenFile})`);
    }
    return 0;
  },
};

/** `lattice sandbox`. */
export const sandboxCommand: Command = {
  name: "sandbox",
  summary: "Run a local fleet on real local control planes (CAPI simulated)",
  usage: "lattice sandbox <up|down|status>",
  subcommands: [up, down, status],
};
