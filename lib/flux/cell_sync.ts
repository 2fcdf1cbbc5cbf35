/**
 * The cell's Flux duty to its pivoted children: send each a FluxInstallCommand (its version,
 * the fleet's repository, its folder, credentials, components, interval, suspend) and a
 * FluxUpgradeCommand when only the resolved version changed; mirror what each child reports
 * (FluxStatusResponse) into the child's LatticeCluster here. Versions roll root first: a
 * cell whose own Flux is not yet at the version the repository (or its own spec) asks holds
 * its children's upgrades until it is.
 *
 * A version this Lattice does not vendor is refused here (FluxReady=False,
 * UnsupportedVersion) and nothing is sent: the child keeps its Flux. A failed command
 * (rolled back, source unreachable) is retried after `retryMs` or as soon as the desired
 * state changes.
 */
import { every, systemClock } from "../runtime/clock.ts";
import { decodeBase64 } from "../pki/ca_store.ts";
import type { AgentRegistry } from "../cell/registry.ts";
import { LATTICE_CLUSTER_REF } from "../api/refs.ts";
import { getOrUndefined, type KubeClient, SECRET_REF } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { FluxInstallCommand, FluxStatusResponse } from "../proto/lattice/agent/v1/agent.ts";
import { stringify } from "yaml";
import { fluxDeployments, type FluxObjectView, installedVersion } from "./health.ts";
import {
  FLUX_NAMESPACE,
  GIT_REPOSITORY_NAME,
  GIT_REPOSITORY_REF,
  KUSTOMIZATION_NAME,
  KUSTOMIZATION_REF,
} from "./names.ts";
import { fluxReleaseProblem } from "./releases.ts";
import { readRepoFlux, type RepoFlux } from "./repo_config.ts";
import { type ChildFlux, type FleetSource, installKey, resolveChildFlux } from "./resolve.ts";
import { type FluxProblem, writeFluxStatus } from "./status_write.ts";

/** The repository a cell without a Flux of its own hands its children (bootstrap, install). */
export interface CellFluxSource {
  repoUrl: string;
  branch?: string;
  credentials?: Uint8Array;
  /** Folder of the cell's child in the repository; default "" (the root). */
  path?: string;
  /** The repository config's Flux settings as known at start (until the child reports). */
  repoFlux?: RepoFlux;
}

/** Options for {@linkcode CellFluxSync}. */
export interface CellFluxSyncOptions {
  /** This cell's cluster name. */
  selfName: string;
  /** Whether the cell has no LatticeCluster of its own (bootstrap). */
  bootstrap: boolean;
  /** Used when the cell runs no Flux itself. */
  source?: CellFluxSource;
  /** How often children are checked; default 5 s. */
  pollMs?: number;
  /** A failed command is retried after this long; default 2 min. */
  retryMs?: number;
  /** How long an install or upgrade may take on the child; default 10 min. */
  commandTimeoutMs?: number;
  logger?: Logger;
}

interface ChildView {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { cellRef?: string; flux?: ChildFlux };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

interface ChildState {
  sentKey?: string;
  inflight?: boolean;
  failed?: { key: string; at: number; problem: FluxProblem };
  problem?: FluxProblem;
  reported?: FluxStatusResponse;
  written?: string;
}

function problemOf(message: string): FluxProblem {
  const reason = /not supported|not a supported/.test(message)
    ? "UnsupportedVersion"
    : /rolled back/.test(message)
    ? "RolledBack"
    : /repository/.test(message)
    ? "SourceUnavailable"
    : /did not become healthy/.test(message)
    ? "Unhealthy"
    : "InstallFailed";
  return { reason, message };
}

/** Keeps every pivoted child's Flux as the repository says; see the module doc. */
export class CellFluxSync {
  readonly #client: KubeClient;
  readonly #registry: AgentRegistry;
  readonly #o: CellFluxSyncOptions;
  readonly #log: Logger;
  readonly #children = new Map<string, ChildState>();
  #timer?: () => void;
  #unsubscribe?: () => void;
  #tick?: Promise<void>;
  readonly #stop = new AbortController();
  readonly #writes = new Set<Promise<void>>();

  constructor(client: KubeClient, registry: AgentRegistry, options: CellFluxSyncOptions) {
    this.#client = client;
    this.#registry = registry;
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child({ component: "flux-cell" });
  }

  /** Starts following children until {@linkcode stop}. */
  start(): void {
    this.#unsubscribe = this.#registry.subscribe((event) => {
      if (event.type !== "message" || event.message.payload?.$case !== "fluxStatus") return;
      const state = this.#state(event.clusterName);
      state.reported = event.message.payload.value;
      this.#write(event.clusterName, state);
    });
    this.#timer = every(systemClock, this.#o.pollMs ?? 5_000, () => this.sync());
  }

  /** Stops the loop and waits for a running pass. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#timer?.();
    this.#unsubscribe?.();
    await this.#tick;
    // Status writes under way finish while the client is still open.
    await Promise.all(this.#writes);
  }

  #state(name: string): ChildState {
    let s = this.#children.get(name);
    if (!s) this.#children.set(name, s = {});
    return s;
  }

  /** One pass over the children (also run by the timer); never throws. */
  sync(): Promise<void> {
    this.#tick ??= this.#pass().catch((error) => {
      this.#log.warn("Cannot sync children's Flux", { error });
    }).finally(() => this.#tick = undefined);
    return this.#tick;
  }

  /** The fleet source as this cell follows it, or undefined when it has none. */
  async source(): Promise<FleetSource | undefined> {
    const repo = await getOrUndefined(() =>
      this.#client.get<FluxObjectView & { spec?: { ref?: { branch?: string } } }>(
        GIT_REPOSITORY_REF,
        GIT_REPOSITORY_NAME,
        FLUX_NAMESPACE,
      )
    ).catch(() => undefined);
    if (repo?.spec?.url) {
      const kust = await getOrUndefined(() =>
        this.#client.get<{ spec?: { path?: string } }>(
          KUSTOMIZATION_REF,
          KUSTOMIZATION_NAME,
          FLUX_NAMESPACE,
        )
      ).catch(() => undefined);
      let credentials = new Uint8Array();
      if (repo.spec.secretRef) {
        const secret = await getOrUndefined(() =>
          this.#client.get<{ data?: Record<string, string> }>(
            SECRET_REF,
            repo.spec!.secretRef!.name,
            FLUX_NAMESPACE,
          )
        );
        const data = Object.fromEntries(
          Object.entries(secret?.data ?? {}).map(([k, v]) => [k, decodeBase64(v)]),
        );
        if (Object.keys(data).length) credentials = new TextEncoder().encode(stringify(data));
      }
      return {
        repoUrl: repo.spec.url,
        branch: repo.spec.ref?.branch ?? "main",
        credentials,
        parentPath: kust?.spec?.path ?? "",
      };
    }
    const s = this.#o.source;
    if (!s) return undefined;
    return {
      repoUrl: s.repoUrl,
      branch: s.branch ?? "main",
      credentials: s.credentials ?? new Uint8Array(),
      rootPath: s.path ?? "",
    };
  }

  async #pass(): Promise<void> {
    const source = await this.source();
    if (!source) return;
    const ownRepo = await readRepoFlux(this.#client);
    const ownVersion = installedVersion(await fluxDeployments(this.#client));
    // Root first: hold children's upgrades while this cell's own Flux is behind.
    let hold = false;
    if (!this.#o.bootstrap && ownVersion) {
      const own = await getOrUndefined(() =>
        this.#client.get<ChildView>(LATTICE_CLUSTER_REF, this.#o.selfName)
      );
      const ownDesired = own?.spec.flux?.version ?? ownRepo.version;
      hold = !!ownDesired && ownDesired.replace(/^v/, "") !== ownVersion;
    }
    const list = await this.#client.list<ChildView>(LATTICE_CLUSTER_REF);
    for (const child of list.items) {
      const name = child.metadata.name;
      if (name === this.#o.selfName || child.metadata.deletionTimestamp) continue;
      const parent = child.spec.cellRef;
      if (parent !== this.#o.selfName && !(this.#o.bootstrap && !parent)) continue;
      const pivoted = child.status?.conditions?.some((c) =>
        c.type === "Pivoted" && c.status === "True"
      );
      if (!pivoted || !this.#registry.get(name)?.connected) continue;
      this.#child(name, child, source, ownRepo, ownVersion, hold);
    }
  }

  #child(
    name: string,
    child: ChildView,
    source: FleetSource,
    ownRepo: { version?: string; interval?: string },
    ownVersion: string | undefined,
    hold: boolean,
  ): void {
    const state = this.#state(name);
    if (state.inflight) return;
    const reported = state.reported;
    const repo = ownRepo.version || ownRepo.interval ? ownRepo : {
      version: reported?.repoFluxVersion || this.#o.source?.repoFlux?.version,
      interval: reported?.repoFluxInterval || this.#o.source?.repoFlux?.interval,
    };
    const { command, origin } = resolveChildFlux({
      childName: name,
      child: child.spec.flux,
      repo,
      parentVersion: ownVersion,
      source,
    });
    const versionProblem = fluxReleaseProblem(command.version);
    if (versionProblem) {
      state.problem = {
        reason: "UnsupportedVersion",
        message: `Cannot move ${name} to Flux ${command.version} (from the ${origin}): ` +
          `${versionProblem}; Flux ${reported?.version || "(none)"} keeps running`,
      };
      this.#write(name, state);
      return;
    }
    const key = installKey(command);
    const attempt = `${key}|${command.version}`;
    // A command failed for a desired state that changed since: send the (now) desired one,
    // which also clears the failure the agent still reports.
    const stale = state.failed !== undefined && state.failed.key !== attempt;
    const install = !reported?.installed || state.sentKey !== key || stale;
    const upgrade = !install && reported.version !== command.version;
    if (!install && !upgrade) {
      // The child runs what is desired: whatever went wrong before no longer matters.
      if (state.problem) {
        state.problem = undefined;
        state.failed = undefined;
        this.#write(name, state);
      }
      return;
    }
    if (upgrade && hold) return;
    if (
      state.failed?.key === attempt && Date.now() - state.failed.at < (this.#o.retryMs ?? 120_000)
    ) return;
    state.inflight = true;
    this.#send(name, state, install ? command : undefined, command.version, key, attempt);
  }

  #send(
    name: string,
    state: ChildState,
    install: FluxInstallCommand | undefined,
    version: string,
    key: string,
    attempt: string,
  ): void {
    this.#log.info(install ? "Sending FluxInstallCommand" : "Sending FluxUpgradeCommand", {
      cluster: name,
      version,
      path: install?.path,
    });
    const sent = this.#registry.sendCommand(
      name,
      install
        ? { $case: "installFlux", value: install }
        : { $case: "upgradeFlux", value: { version, force: false } },
      { timeoutMs: this.#o.commandTimeoutMs ?? 600_000, signal: this.#stop.signal },
    );
    sent.then(() => {
      state.sentKey = key;
      state.failed = undefined;
      state.problem = undefined;
    }, (error: Error) => {
      // This cell's own shutdown cut the wait: no failure of the child (the next term sends
      // the command again, as nothing was recorded as sent).
      if (this.#stop.signal.aborted) {
        this.#log.debug("Flux command abandoned: the cell is stopping", { cluster: name });
        return;
      }
      const problem = problemOf(error.message);
      state.failed = { key: attempt, at: Date.now(), problem };
      state.problem = problem;
      // An upgrade that failed must not turn into a re-install of the same config.
      if (!install) state.sentKey = key;
      this.#log.warn("Flux command failed on child", { cluster: name, error: error.message });
    }).finally(() => {
      state.inflight = false;
      this.#write(name, state);
    });
  }

  /** Writes the child's status here when what would be written changed. */
  #write(name: string, state: ChildState): void {
    // Once stopping, nothing new is written: the client goes away with the operator.
    if (this.#stop.signal.aborted) return;
    const key = JSON.stringify([state.reported, state.problem]);
    if (state.written === key) return;
    state.written = key;
    const write = writeFluxStatus(this.#client, name, state.reported, state.problem).catch(
      (error) => {
        state.written = undefined;
        this.#log.warn("Cannot write child's Flux status", { cluster: name, error });
      },
    ).finally(() => this.#writes.delete(write));
    this.#writes.add(write);
  }
}
