/**
 * Installs, upgrades and configures Flux on the cluster it runs on — what the agent does for
 * FluxInstallCommand and FluxUpgradeCommand, and what the root's operator does for itself.
 *
 * - Controllers: the vendored release's objects are server-side applied; the installer then
 *   waits for every controller Deployment to be available. When they are not in time, the
 *   previous release's objects are applied again (unless `force`) and the command fails
 *   naming both: the previous Flux keeps running.
 * - Source: a changed repository URL or credentials is tried first on a probe GitRepository;
 *   only a source that source-controller can fetch replaces the live one, so a wrong URL or
 *   credentials leave the cluster syncing what it synced before.
 * - Sync: the `git-credentials` Secret, the GitRepository `lattice-clusters`, the
 *   Kustomization `cluster-config` of the cluster's folder (prune, wait) and `lattice-config`
 *   of `.lattice/` (the repository config every cluster reads its Flux defaults from).
 */
import { sleep as clockSleep, systemClock } from "../runtime/clock.ts";
import {
  CRD_REF,
  DEPLOYMENT_REF,
  type KubeClient,
  type KubeObject,
  SECRET_REF,
} from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { FluxInstallCommand } from "../proto/lattice/agent/v1/agent.ts";
import {
  deploymentAvailable,
  fluxDeployments,
  type FluxObjectView,
  installedVersion,
} from "./health.ts";
import {
  CONFIG_KUSTOMIZATION_NAME,
  DEFAULT_COMPONENTS,
  DEFAULT_INTERVAL,
  FLUX_FIELD_MANAGER,
  FLUX_NAMESPACE,
  GIT_CREDENTIALS_SECRET,
  GIT_REPOSITORY_NAME,
  GIT_REPOSITORY_REF,
  KUSTOMIZATION_NAME,
  KUSTOMIZATION_REF,
} from "./names.ts";
import { fluxRelease, fluxReleaseProblem } from "./releases.ts";
import { fluxManifests } from "./vendored.ts";
import { gitCredentialsData } from "./credentials.ts";

/** Options for {@linkcode FluxInstaller}. */
export interface FluxInstallerOptions {
  /** How long new controllers get to become available; default 3 min. */
  healthTimeoutMs?: number;
  /** How long a changed source gets to be fetched before it is refused; default 60 s. */
  sourceProbeTimeoutMs?: number;
  /** Poll interval while waiting; default 1 s. */
  pollMs?: number;
  logger?: Logger;
}

/** The flux half of FluxInstallCommand (what the cluster should run and sync). */
export type FluxDesired = FluxInstallCommand;

const PROBE_NAME = `${GIT_REPOSITORY_NAME}-probe`;
const PROBE_SECRET = `${GIT_CREDENTIALS_SECRET}-probe`;

/** A failure that says what happened and that the previous Flux still runs. */
export class FluxInstallError extends Error {
  /** Short CamelCase reason for the condition. */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = "FluxInstallError";
    this.reason = reason;
  }
}

/** Waits `ms` on the runtime clock; rejects with the signal's reason when aborted. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return clockSleep(systemClock, ms, signal);
}

/** Installs and configures Flux; see the module doc. */
export class FluxInstaller {
  readonly #base: KubeClient;
  /** The client of the operation in progress (bound to its signal), else `#base`. */
  #client: KubeClient;
  readonly #o: FluxInstallerOptions;
  readonly #log: Logger;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(client: KubeClient, options: FluxInstallerOptions = {}) {
    this.#base = client;
    this.#client = client;
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
  }

  /**
   * Runs one operation at a time (commands may arrive while an upgrade waits). While it
   * runs, every API call of the installer is bound to `signal`: an abort (shutdown, lost
   * stream) stops the call in flight, not only the waits between calls.
   */
  #serial<T>(signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    const bound = async () => {
      signal?.throwIfAborted();
      this.#client = signal ? this.#base.withSignal(signal) : this.#base;
      try {
        return await run();
      } finally {
        this.#client = this.#base;
      }
    };
    const next = this.#queue.then(bound, bound);
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Brings controllers, credentials and sync objects to `desired`. */
  install(desired: FluxDesired, signal?: AbortSignal): Promise<void> {
    return this.#serial(signal, async () => {
      const components = desired.components.length ? desired.components : DEFAULT_COMPONENTS;
      const problem = fluxReleaseProblem(desired.version);
      if (problem) {
        throw new FluxInstallError("UnsupportedVersion", `Cannot install Flux: ${problem}`);
      }
      if (!desired.repoUrl) {
        throw new FluxInstallError("InvalidSource", "Cannot install Flux: no repository URL");
      }
      await this.#controllers(desired.version, components, desired.force, signal);
      await this.#source(desired, signal);
      await this.#sync(desired);
    });
  }

  /** Moves the controllers to `version`, keeping the sync objects. */
  upgrade(version: string, force: boolean, signal?: AbortSignal): Promise<void> {
    return this.#serial(signal, async () => {
      const problem = fluxReleaseProblem(version);
      if (problem) {
        throw new FluxInstallError("UnsupportedVersion", `Cannot upgrade Flux: ${problem}`);
      }
      const deployments = await fluxDeployments(this.#client);
      const components = deployments.size ? [...deployments.keys()].sort() : DEFAULT_COMPONENTS;
      await this.#controllers(version, components, force, signal);
    });
  }

  async #applyRelease(version: string, components: readonly string[]): Promise<void> {
    const objs = await fluxManifests(fluxRelease(version)!, components);
    // CRDs and the namespace first: the Deployments' controllers watch them at start.
    const first = objs.filter((o) =>
      o.kind === "CustomResourceDefinition" || o.kind === "Namespace"
    );
    const rest = objs.filter((o) => !first.includes(o));
    await Promise.all(first.map((o) => this.#apply(o)));
    await this.#established(
      first.filter((o) => o.kind === "CustomResourceDefinition").map((o) => o.metadata!.name!),
    );
    await Promise.all(rest.map((o) => this.#apply(o)));
  }

  /** Waits until the CRDs are Established (served), so their objects can be applied. */
  async #established(names: string[]): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (const name of names) {
      for (;;) {
        const crd = await this.#client.get<
          { status?: { conditions?: { type: string; status: string }[] } }
        >(CRD_REF, name);
        if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) {
          break;
        }
        if (Date.now() >= deadline) {
          throw new FluxInstallError(
            "CrdNotEstablished",
            `Cannot install Flux: CRD ${name} not Established in 60s`,
          );
        }
        await sleep(200);
      }
    }
  }

  async #controllers(
    version: string,
    components: readonly string[],
    force: boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    const before = await fluxDeployments(this.#client);
    const previous = installedVersion(before);
    const target = fluxRelease(version)!.version;
    const healthyNow = before.size > 0 &&
      components.every((c) => before.get(c) && deploymentAvailable(before.get(c)!));
    if (previous === target && healthyNow) return;
    this.#log.info("Installing Flux", { version: target, previous, components });
    await this.#applyRelease(target, components);
    const unhealthy = await this.#waitAvailable(components, signal);
    if (unhealthy.length === 0) {
      this.#log.info("Flux controllers available", { version: target });
      return;
    }
    const what = `Flux ${target} did not become healthy within ` +
      `${Math.round(this.#healthTimeout / 1000)}s (${unhealthy.join(", ")} not available)`;
    if (force) {
      throw new FluxInstallError("Unhealthy", `${what}; kept it (force)`);
    }
    if (previous && previous !== target && fluxRelease(previous)) {
      this.#log.warn("Rolling Flux back", { from: target, to: previous });
      await this.#applyRelease(previous, components);
      const still = await this.#waitAvailable(components, signal);
      throw new FluxInstallError(
        "RolledBack",
        `${what}; rolled back to Flux ${previous}` +
          (still.length ? ` (still not available: ${still.join(", ")})` : ""),
      );
    }
    throw new FluxInstallError("Unhealthy", what);
  }

  get #healthTimeout(): number {
    return this.#o.healthTimeoutMs ?? 180_000;
  }

  /** Waits for the components' Deployments; answers those still unavailable at the deadline. */
  async #waitAvailable(components: readonly string[], signal?: AbortSignal): Promise<string[]> {
    const deadline = Date.now() + this.#healthTimeout;
    for (;;) {
      const ds = await fluxDeployments(this.#client);
      const missing = components.filter((c) => !ds.get(c) || !deploymentAvailable(ds.get(c)!));
      if (missing.length === 0 || Date.now() >= deadline) return missing;
      await sleep(this.#o.pollMs ?? 1_000, signal);
    }
  }

  #secret(name: string, credentials: Uint8Array): KubeObject {
    return {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: FLUX_NAMESPACE },
      type: "Opaque",
      stringData: gitCredentialsData(credentials),
    } as KubeObject;
  }

  #gitRepository(name: string, d: FluxDesired, secret: string | undefined): KubeObject {
    return {
      apiVersion: `${GIT_REPOSITORY_REF.group}/${GIT_REPOSITORY_REF.version}`,
      kind: GIT_REPOSITORY_REF.kind,
      metadata: { name, namespace: FLUX_NAMESPACE },
      spec: {
        interval: d.interval || DEFAULT_INTERVAL,
        url: d.repoUrl,
        ref: { branch: d.branch || "main" },
        ...(secret ? { secretRef: { name: secret } } : {}),
        suspend: d.suspend,
        timeout: "30s",
      },
    } as KubeObject;
  }

  /**
   * A changed URL or credentials: fetch once through a probe GitRepository before the live
   * source is touched; refuse (and leave everything as it was) when that fails.
   */
  async #source(d: FluxDesired, signal?: AbortSignal): Promise<void> {
    const live = await this.#client.get<FluxObjectView>(
      GIT_REPOSITORY_REF,
      GIT_REPOSITORY_NAME,
      FLUX_NAMESPACE,
    ).catch(() => undefined);
    if (!live) return;
    const oldSecret = await this.#client.get<{ data?: Record<string, string> }>(
      SECRET_REF,
      GIT_CREDENTIALS_SECRET,
      FLUX_NAMESPACE,
    ).catch(() => undefined);
    const wanted = gitCredentialsData(d.gitCredentials);
    const same = live.spec?.url === d.repoUrl &&
      sameData(oldSecret?.data, wanted) &&
      (!!live.spec?.secretRef) === (d.gitCredentials.length > 0);
    if (same) return;
    this.#log.info("Probing the new repository source", { url: d.repoUrl });
    const hasCreds = d.gitCredentials.length > 0;
    try {
      if (hasCreds) await this.#apply(this.#secret(PROBE_SECRET, d.gitCredentials));
      await this.#apply(
        this.#gitRepository(
          PROBE_NAME,
          { ...d, suspend: false },
          hasCreds ? PROBE_SECRET : undefined,
        ),
      );
      const deadline = Date.now() + (this.#o.sourceProbeTimeoutMs ?? 60_000);
      for (;;) {
        const probe = await this.#client.get<FluxObjectView>(
          GIT_REPOSITORY_REF,
          PROBE_NAME,
          FLUX_NAMESPACE,
        );
        const ready = probe.status?.conditions?.find((c) => c.type === "Ready");
        const fresh = (probe.status?.observedGeneration ?? 0) >= (probe.metadata?.generation ?? 1);
        if (fresh && ready?.status === "True") return;
        // The probe is new: any failure it reports is about the new source.
        if (ready?.status === "False" && ready.reason !== "Progressing") {
          throw new FluxInstallError(
            "SourceUnavailable",
            `Cannot switch the cluster repository to ${d.repoUrl}: ${
              ready.message ?? ready.reason
            }` +
              " (still syncing the previous source)",
          );
        }
        if (Date.now() >= deadline) {
          throw new FluxInstallError(
            "SourceUnavailable",
            `Cannot switch the cluster repository to ${d.repoUrl}: not fetched within ` +
              `${Math.round((this.#o.sourceProbeTimeoutMs ?? 60_000) / 1000)}s` +
              (ready?.message ? ` (${ready.message})` : "") +
              " (still syncing the previous source)",
          );
        }
        await sleep(this.#o.pollMs ?? 1_000, signal);
      }
    } finally {
      await this.#client.delete(GIT_REPOSITORY_REF, PROBE_NAME, FLUX_NAMESPACE, {
        ignoreNotFound: true,
      })
        .catch(() => {});
      await this.#client.delete(SECRET_REF, PROBE_SECRET, FLUX_NAMESPACE, { ignoreNotFound: true })
        .catch(() => {});
    }
  }

  async #apply(obj: KubeObject): Promise<KubeObject> {
    // A just-Established CRD may take a moment to appear in discovery.
    for (let attempt = 0;; attempt++) {
      try {
        return await this.#client.apply(obj, { fieldManager: FLUX_FIELD_MANAGER, force: true });
      } catch (error) {
        if (attempt >= 20 || !/Cannot resolve/.test((error as Error).message)) throw error;
        await sleep(250);
      }
    }
  }

  async #sync(d: FluxDesired): Promise<void> {
    const hasCreds = d.gitCredentials.length > 0;
    if (hasCreds) await this.#apply(this.#secret(GIT_CREDENTIALS_SECRET, d.gitCredentials));
    await this.#apply(
      this.#gitRepository(GIT_REPOSITORY_NAME, d, hasCreds ? GIT_CREDENTIALS_SECRET : undefined),
    );
    if (!hasCreds) {
      await this.#client.delete(SECRET_REF, GIT_CREDENTIALS_SECRET, FLUX_NAMESPACE, {
        ignoreNotFound: true,
      });
    }
    const path = `./${d.path.replace(/^\.?\/+/, "").replace(/\/+$/, "")}`;
    for (
      const [name, kpath, prune] of [
        [KUSTOMIZATION_NAME, path, true],
        [CONFIG_KUSTOMIZATION_NAME, "./.lattice", false],
      ] as const
    ) {
      await this.#apply({
        apiVersion: `${KUSTOMIZATION_REF.group}/${KUSTOMIZATION_REF.version}`,
        kind: KUSTOMIZATION_REF.kind,
        metadata: { name, namespace: FLUX_NAMESPACE },
        spec: {
          interval: d.interval || DEFAULT_INTERVAL,
          sourceRef: { kind: "GitRepository", name: GIT_REPOSITORY_NAME },
          path: kpath,
          prune,
          wait: prune,
          timeout: "2m",
          suspend: d.suspend,
        },
      } as KubeObject);
    }
  }

  /** Removes the Flux controllers' Deployments (used by tests and uninstall). */
  async removeControllers(): Promise<void> {
    const ds = await fluxDeployments(this.#client);
    for (const name of ds.keys()) {
      await this.#client.delete(DEPLOYMENT_REF, name, FLUX_NAMESPACE, { ignoreNotFound: true });
    }
  }
}

function sameData(
  data: Record<string, string> | undefined,
  wanted: Record<string, string>,
): boolean {
  const have = Object.fromEntries(
    Object.entries(data ?? {}).map((
      [k, v],
    ) => [k, new TextDecoder().decode(Uint8Array.from(atob(v), (c) => c.charCodeAt(0)))]),
  );
  const keys = new Set([...Object.keys(have), ...Object.keys(wanted)]);
  for (const k of keys) if (have[k] !== wanted[k]) return false;
  return true;
}
