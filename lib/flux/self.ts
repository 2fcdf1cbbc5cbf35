/**
 * Flux on a cluster without a parent (the root after `lattice install`): nobody sends it
 * commands, so its operator keeps its own Flux as the repository says — the version of its
 * own `spec.flux` else of the repository config its Flux synced, interval and suspend from
 * its own `spec.flux` — and writes its own `status.flux`. The source (URL, branch,
 * credentials, path) stays what `lattice install --git-repo` installed.
 */
import { every, systemClock } from "../runtime/clock.ts";
import { Buffer } from "node:buffer";
import { LATTICE_CLUSTER_REF } from "../api/refs.ts";
import { getOrUndefined, type KubeClient, SECRET_REF } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import { decodeBase64 } from "../pki/ca_store.ts";
import { stringify } from "yaml";
import { fluxDeployments, type FluxObjectView, fluxStatus, installedVersion } from "./health.ts";
import { FluxInstaller, type FluxInstallerOptions } from "./installer.ts";
import {
  DEFAULT_COMPONENTS,
  DEFAULT_INTERVAL,
  FLUX_NAMESPACE,
  GIT_REPOSITORY_NAME,
  GIT_REPOSITORY_REF,
  KUSTOMIZATION_NAME,
  KUSTOMIZATION_REF,
} from "./names.ts";
import { fluxReleaseProblem } from "./releases.ts";
import { readRepoFlux } from "./repo_config.ts";
import { type FluxProblem, writeFluxStatus } from "./status_write.ts";

/** Options for {@linkcode SelfFlux}. */
export interface SelfFluxOptions extends FluxInstallerOptions {
  clusterName: string;
  /** How often the desired state is checked; default 10 s. */
  pollMs?: number;
  logger?: Logger;
}

interface OwnView {
  spec?: { flux?: { version?: string; interval?: string; suspend?: boolean } };
}

/** Keeps a parentless cluster's own Flux; see the module doc. */
export class SelfFlux {
  readonly #client: KubeClient;
  readonly #o: SelfFluxOptions;
  readonly #log: Logger;
  readonly #installer: FluxInstaller;
  #timer?: () => void;
  #running?: Promise<void>;
  #problem?: FluxProblem;
  #failedAttempt?: { key: string; at: number };
  #written = "";

  constructor(client: KubeClient, options: SelfFluxOptions) {
    this.#client = client;
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child({ component: "flux-self" });
    this.#installer = new FluxInstaller(client, { ...options, logger: this.#log });
  }

  start(): void {
    this.#timer ??= every(systemClock, this.#o.pollMs ?? 10_000, () => this.tick());
  }

  async stop(): Promise<void> {
    this.#timer?.();
    await this.#running;
  }

  /** One check (never throws). */
  tick(): Promise<void> {
    this.#running ??= this.#tick().catch((error) =>
      this.#log.warn("Cannot keep own Flux", { error })
    ).finally(() => this.#running = undefined);
    return this.#running;
  }

  async #tick(): Promise<void> {
    const repo = await getOrUndefined(() =>
      this.#client.get<
        FluxObjectView & { spec?: { ref?: { branch?: string }; interval?: string } }
      >(GIT_REPOSITORY_REF, GIT_REPOSITORY_NAME, FLUX_NAMESPACE)
    ).catch(() => undefined);
    if (!repo?.spec?.url) return; // no Flux installed here: nothing to keep
    const own = await getOrUndefined(() =>
      this.#client.get<OwnView>(LATTICE_CLUSTER_REF, this.#o.clusterName)
    );
    const repoFlux = await readRepoFlux(this.#client);
    const installed = installedVersion(await fluxDeployments(this.#client));
    const version = (own?.spec?.flux?.version ?? repoFlux.version ?? installed ?? "")
      .replace(/^v/, "");
    const interval = own?.spec?.flux?.interval ?? repoFlux.interval ?? DEFAULT_INTERVAL;
    const suspend = own?.spec?.flux?.suspend === true;
    const kust = await getOrUndefined(() =>
      this.#client.get<{ spec?: { path?: string; suspend?: boolean; interval?: string } }>(
        KUSTOMIZATION_REF,
        KUSTOMIZATION_NAME,
        FLUX_NAMESPACE,
      )
    );
    const problem = version ? fluxReleaseProblem(version) : undefined;
    if (problem) {
      this.#problem = {
        reason: "UnsupportedVersion",
        message: `Cannot move to Flux ${version}: ${problem}; Flux ${installed} keeps running`,
      };
    } else if (
      version && (version !== installed || kust?.spec?.suspend !== suspend ||
        kust?.spec?.interval !== interval || repo.spec.suspend !== suspend)
    ) {
      const key = JSON.stringify([version, interval, suspend]);
      const recent = this.#failedAttempt?.key === key &&
        Date.now() - this.#failedAttempt.at < 120_000;
      if (!recent) {
        try {
          await this.#installer.install({
            version,
            repoUrl: repo.spec.url,
            branch: repo.spec.ref?.branch ?? "main",
            path: kust?.spec?.path ?? "",
            gitCredentials: await this.#credentials(repo.spec.secretRef?.name),
            components: [...DEFAULT_COMPONENTS],
            interval,
            suspend,
            force: false,
          });
          this.#problem = undefined;
          this.#failedAttempt = undefined;
        } catch (error) {
          const e = error as Error & { reason?: string };
          this.#problem = { reason: e.reason ?? "InstallFailed", message: e.message };
          this.#failedAttempt = { key, at: Date.now() };
        }
      }
    } else {
      this.#problem = undefined;
    }
    const status = await fluxStatus(this.#client, DEFAULT_COMPONENTS);
    const key = JSON.stringify([status, this.#problem]);
    if (key === this.#written || !own) return;
    await writeFluxStatus(this.#client, this.#o.clusterName, status, this.#problem);
    this.#written = key;
  }

  async #credentials(secretName: string | undefined): Promise<Buffer> {
    if (!secretName) return Buffer.alloc(0);
    const secret = await getOrUndefined(() =>
      this.#client.get<{ data?: Record<string, string> }>(SECRET_REF, secretName, FLUX_NAMESPACE)
    );
    const data = Object.fromEntries(
      Object.entries(secret?.data ?? {}).map(([k, v]) => [k, decodeBase64(v)]),
    );
    return Object.keys(data).length ? Buffer.from(stringify(data)) : Buffer.alloc(0);
  }
}
