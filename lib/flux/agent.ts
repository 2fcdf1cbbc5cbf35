/**
 * The agent's Flux side: handlers for FluxInstallCommand and FluxUpgradeCommand (run by
 * {@linkcode FluxInstaller}), and a reporter that sends FluxStatusResponse to the parent
 * whenever Flux's state changes (and at least every `resendMs`) and mirrors it into the
 * cluster's own LatticeCluster. A failed command is acknowledged with its error and stays in
 * the reported errors until a later command succeeds.
 */
import { every, systemClock } from "../runtime/clock.ts";
import type { AgentPayload, CommandHandlers } from "../agent/handlers.ts";
import { isNotFound, type KubeClient } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { FluxStatusResponse } from "../proto/lattice/agent/v1/agent.ts";
import { fluxStatus } from "./health.ts";
import { readRepoFlux } from "./repo_config.ts";
import { FluxInstaller, type FluxInstallerOptions } from "./installer.ts";
import { DEFAULT_COMPONENTS } from "./names.ts";
import { type FluxProblem, writeFluxStatus } from "./status_write.ts";

/** Options for {@linkcode FluxAgent}. */
export interface FluxAgentOptions extends FluxInstallerOptions {
  /** This cluster's name (its own LatticeCluster). */
  clusterName: string;
  /** How often Flux's state is read; default 10 s. */
  pollMs?: number;
  /** An unchanged state is re-sent this often; default 5 min. */
  resendMs?: number;
  logger?: Logger;
}

/** Flux on the agent's cluster; see the module doc. */
export class FluxAgent {
  readonly installer: FluxInstaller;
  readonly #client: KubeClient;
  readonly #o: FluxAgentOptions;
  readonly #log: Logger;
  #send?: (payload: AgentPayload) => boolean;
  #problem?: FluxProblem;
  #components: readonly string[] = DEFAULT_COMPONENTS;
  #last = "";
  #lastSentAt = 0;
  #timer?: () => void;
  #running?: Promise<void>;

  constructor(client: KubeClient, options: FluxAgentOptions) {
    this.#client = client;
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child({ component: "flux" });
    this.installer = new FluxInstaller(client, { ...options, logger: this.#log });
  }

  /** The handlers for the agent's command table. */
  handlers(): CommandHandlers {
    return {
      installFlux: async (command, ctx) => {
        this.#send ??= (p) => (ctx.send(p), true);
        if (command.components.length) this.#components = command.components;
        await this.#run(() => this.installer.install(command, ctx.signal), ctx.signal);
      },
      upgradeFlux: async (command, ctx) => {
        this.#send ??= (p) => (ctx.send(p), true);
        await this.#run(
          () => this.installer.upgrade(command.version, command.force, ctx.signal),
          ctx.signal,
        );
      },
    };
  }

  async #run(operation: () => Promise<void>, signal: AbortSignal): Promise<void> {
    try {
      await operation();
      this.#problem = undefined;
    } catch (error) {
      // Cut by the agent's shutdown (or the stream's end): not a Flux problem, and there is
      // nobody to report to; the parent sends the command again to the next agent.
      if (signal.aborted) throw error;
      const e = error as Error & { reason?: string };
      this.#problem = { reason: e.reason ?? "InstallFailed", message: e.message };
      throw error;
    } finally {
      if (!signal.aborted) {
        await this.report(true).catch((error) => this.#log.warn("Cannot report Flux", { error }));
      }
    }
  }

  /** Starts periodic reporting through `send` (the agent's current stream). */
  start(send: (payload: AgentPayload) => boolean): void {
    this.#send = send;
    this.#timer ??= every(systemClock, this.#o.pollMs ?? 10_000, () => {
      this.report(false).catch((error) => this.#log.debug("Cannot report Flux", { error }));
    });
  }

  /** Stops reporting. */
  async stop(): Promise<void> {
    this.#timer?.();
    this.#timer = undefined;
    await this.#running?.catch(() => {});
  }

  /** Flux's state now, with the last command's failure among the errors. */
  async status(): Promise<FluxStatusResponse> {
    const status = await fluxStatus(this.#client, this.#components);
    if (this.#problem) status.errors.unshift(this.#problem.message);
    const repo = await readRepoFlux(this.#client);
    status.repoFluxVersion = repo.version ?? "";
    status.repoFluxInterval = repo.interval ?? "";
    return status;
  }

  /** Reads the state; sends and mirrors it when it changed (or `force`, or resend due). */
  report(force: boolean): Promise<void> {
    const run = (this.#running ?? Promise.resolve()).then(() => this.#report(force));
    this.#running = run.catch(() => {});
    return run;
  }

  async #report(force: boolean): Promise<void> {
    const raw = await fluxStatus(this.#client, this.#components);
    // Nothing installed and nothing asked: nothing to say yet.
    if (!raw.installed && !this.#problem && !force) return;
    const status = await this.status();
    const key = JSON.stringify(status);
    const due = Date.now() - this.#lastSentAt >= (this.#o.resendMs ?? 300_000);
    if (!force && key === this.#last && !due) return;
    const sent = this.#send?.({ $case: "fluxStatus", value: status }) ?? false;
    if (sent) {
      this.#lastSentAt = Date.now();
      this.#last = key;
    }
    try {
      await writeFluxStatus(this.#client, this.#o.clusterName, status, this.#problem);
    } catch (error) {
      // Before the pivot the cluster has no LatticeCluster of its own.
      if (!isNotFound(error)) throw error;
    }
  }
}
