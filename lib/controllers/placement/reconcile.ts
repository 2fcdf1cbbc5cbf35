/**
 * The placement reconcile (docs/placements.md): resolve → check → candidate source → look
 * at the candidate revision → pin it → apply with patches → status. Every refusal leaves the
 * pinned GitRepository and the Kustomization as they were, so the previous revision keeps
 * running, and says why in the Ready condition.
 */
import type { LatticeServicePlacementStatus, ResolvedSource } from "../../api/mod.ts";
import { LATTICE_SERVICE_PLACEMENT_REF } from "../../api/refs.ts";
import { GIT_REPOSITORY_REF, KUSTOMIZATION_REF } from "../../flux/names.ts";
import {
  isAlreadyExists,
  isNotFound,
  type KubeClient,
  type KubeObject,
  type ObjectMeta,
} from "../../kube/mod.ts";
import {
  Action,
  type ReconcileContext,
  type Reconciler,
  type StoreReader,
} from "../../runtime/mod.ts";
import { fetchArtifact, hasPath, type TarFile, workloadsIn } from "./artifact.ts";
import {
  APPLIED_SUFFIX,
  appliedRepository,
  candidateRepository,
  commitOf,
  effectiveSource,
  MANAGED_BY_LABEL,
  mergeSettings,
  PLACEMENT_MANAGER,
  placementKustomization,
  type RenderOptions,
  type Settings,
  shownRevision,
  workloadPatches,
} from "./render.ts";
import {
  canonical,
  type InheritedRegistration,
  type LocalRegistration,
  resolveRegistration,
} from "./resolve.ts";
import { type Outcome, placementStatus } from "./status.ts";
import { placementProblems, problemText, registrationProblems } from "./validate.ts";

/** Finalizer: the service's Flux objects go before the placement does. */
export const PLACEMENT_FINALIZER = "lattice.dev/placement";
/** Field manager of the controller's applies. */
export const PLACEMENT_FIELD_MANAGER = "lattice-placement";

/** A LatticeServicePlacement as the controller reads it. */
export interface PlacementObject extends KubeObject {
  metadata: ObjectMeta & { name: string };
  spec: {
    serviceRef: string;
    sourceOverride?: { branch?: string; tag?: string };
    overrides?: Settings;
  };
  status?: LatticeServicePlacementStatus;
}

/** A Flux object with the status fields the controller reads. */
export interface FluxObject extends KubeObject {
  spec?: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
      observedGeneration?: number;
    }[];
    artifact?: { url?: string; revision?: string };
    lastAppliedRevision?: string;
  };
}

/** What the reconciler reads besides the API. */
export interface PlacementReconcilerOptions {
  /** This cluster's name. */
  selfName: string;
  /** This cluster's registrations. */
  registrations: StoreReader<LocalRegistration & KubeObject>;
  /** The set the parent handed down (empty on a root). */
  inherited: () => readonly InheritedRegistration[];
  /** The placement controller's GitRepositories and Kustomizations (labelled). */
  repositories: StoreReader<FluxObject>;
  kustomizations: StoreReader<FluxObject>;
  /** Resolves once the inherited set was read. */
  ready?: Promise<void>;
  render?: RenderOptions;
  /** Fetches an artifact (tests); default {@linkcode fetchArtifact}. */
  fetchArtifact?: (url: string, signal: AbortSignal) => Promise<TarFile[]>;
  now?: () => Date;
}

function readyOf(obj: FluxObject | undefined) {
  return obj?.status?.conditions?.find((c) => c.type === "Ready");
}

/**
 * True when Flux has looked at the current spec: status.observedGeneration, or — while Flux
 * retries a failure (it then leaves observedGeneration behind) — the Ready condition's.
 */
function current(obj: FluxObject | undefined): boolean {
  if (obj === undefined) return false;
  const generation = obj.metadata?.generation;
  return obj.status?.observedGeneration === generation ||
    readyOf(obj)?.observedGeneration === generation;
}

/** True when every field of `want` is in `have` with the same value. */
export function contains(have: unknown, want: unknown): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length &&
      want.every((w, i) => contains(have[i], w));
  }
  if (want !== null && typeof want === "object") {
    if (have === null || typeof have !== "object" || Array.isArray(have)) return false;
    const h = have as Record<string, unknown>;
    return Object.entries(want as Record<string, unknown>).every(([k, v]) => contains(h[k], v));
  }
  return have === want;
}

/** Reconciles one LatticeServicePlacement; see the module doc. */
export class PlacementReconciler implements Reconciler<PlacementObject> {
  readonly #client: KubeClient;
  readonly #o: PlacementReconcilerOptions;
  readonly #ready: Promise<unknown>;
  /** Workloads per artifact revision and path (artifacts are immutable per revision). */
  readonly #workloads = new Map<
    string,
    { found: boolean; workloads: ReturnType<typeof workloadsIn> }
  >();

  constructor(client: KubeClient, options: PlacementReconcilerOptions) {
    this.#client = client;
    this.#o = options;
    this.#ready = Promise.all([
      options.registrations.ready,
      options.repositories.ready,
      options.kustomizations.ready,
      options.ready,
    ]);
  }

  async reconcile(obj: PlacementObject, ctx: ReconcileContext<PlacementObject>): Promise<Action> {
    await this.#ready;
    const name = obj.metadata.name;
    const ns = name;
    if (obj.metadata.deletionTimestamp) return await this.#remove(obj, ctx);
    if (!obj.metadata.finalizers?.includes(PLACEMENT_FINALIZER)) {
      await this.#client.patch(LATTICE_SERVICE_PLACEMENT_REF, name, {
        metadata: {
          resourceVersion: obj.metadata.resourceVersion,
          finalizers: [...(obj.metadata.finalizers ?? []), PLACEMENT_FINALIZER],
        },
      });
    }
    let source: ResolvedSource | undefined;
    const kust = this.#o.kustomizations.get(`${ns}/${name}`);
    const running = shownRevision(
      kust?.status?.lastAppliedRevision,
      this.#o.repositories.get(`${ns}/${name}${APPLIED_SUFFIX}`),
    );
    const outcome = await this.#run(obj, ctx, (s) => source = s);
    await this.#writeStatus(obj, { source, revision: running, outcome });
    if (outcome.state === "pending") return Action.requeueAfter(5_000);
    if (outcome.state === "failed" && outcome.reason === "ArtifactUnavailable") {
      return Action.requeueAfter(10_000);
    }
    return Action.done();
  }

  async #run(
    obj: PlacementObject,
    ctx: ReconcileContext<PlacementObject>,
    resolved: (s: ResolvedSource) => void,
  ): Promise<Outcome> {
    const name = obj.metadata.name;
    const ns = name;
    const bad = placementProblems(obj.spec);
    if (bad.length > 0) {
      return { state: "failed", reason: "InvalidPlacement", message: problemText(bad) };
    }
    const res = resolveRegistration(
      obj.spec.serviceRef,
      this.#o.selfName,
      this.#o.registrations.list(),
      this.#o.inherited(),
    );
    if (!res.found) {
      return { state: "failed", reason: "RegistrationNotFound", message: res.message };
    }
    const reg = res.registration;
    const regBad = registrationProblems(reg.spec);
    if (regBad.length > 0) {
      return {
        state: "failed",
        reason: "RegistrationInvalid",
        message: `registration ${reg.name} (defined on ${reg.definedOn}): ${problemText(regBad)}`,
      };
    }
    const spec = reg.spec as {
      source: { git: { url: string; path?: string; branch?: string; tag?: string } };
      defaults?: Settings;
    };
    const source = effectiveSource(spec.source.git, obj.spec.sourceOverride);
    resolved({ registration: reg.name, definedOn: reg.definedOn, ...source });
    const settings = mergeSettings(spec.defaults, obj.spec.overrides);

    await this.#ensureNamespace(ns, ctx.signal);
    const candidate = candidateRepository(name, ns, source, this.#o.render);
    const live = await this.#ensure(this.#o.repositories, candidate);
    if (!current(live)) {
      return { state: "pending", reason: "Progressing", message: "fetching the source" };
    }
    const ready = readyOf(live);
    if (ready?.status === "False") {
      return {
        state: "failed",
        reason: "SourceNotReady",
        message:
          `${source.url} (${source.tag ? `tag ${source.tag}` : `branch ${source.branch}`}): ` +
          `${ready.reason ?? ""} ${ready.message ?? ""}`.trim(),
      };
    }
    const artifact = live?.status?.artifact;
    if (ready?.status !== "True" || !artifact?.url || !artifact.revision) {
      return {
        state: "pending",
        reason: "Progressing",
        message: "waiting for the source's artifact",
      };
    }
    const cacheKey = `${artifact.revision} ${source.path}`;
    let seen = this.#workloads.get(cacheKey);
    if (!seen) {
      try {
        const files = await (this.#o.fetchArtifact ?? fetchArtifact)(artifact.url, ctx.signal);
        seen = { found: hasPath(files, source.path), workloads: workloadsIn(files, source.path) };
        if (this.#workloads.size > 1_000) this.#workloads.clear();
        this.#workloads.set(cacheKey, seen);
      } catch (error) {
        return {
          state: "failed",
          reason: "ArtifactUnavailable",
          message: `cannot read revision ${artifact.revision}: ${(error as Error).message}`,
        };
      }
    }
    if (!seen.found) {
      return {
        state: "failed",
        reason: "PathNotFound",
        message: `path ${source.path} not found in ${source.url} at ${artifact.revision}`,
      };
    }
    const { patches, problems } = workloadPatches(settings, seen.workloads);
    if (problems.length > 0) {
      return {
        state: "failed",
        reason: "OverridesNotApplicable",
        message: `revision ${artifact.revision}: ${problemText(problems)}`,
      };
    }
    const commit = commitOf(artifact.revision);
    if (!commit) {
      return {
        state: "failed",
        reason: "ArtifactUnavailable",
        message: `cannot tell the commit of revision ${artifact.revision}`,
      };
    }
    const pinned = await this.#ensure(
      this.#o.repositories,
      appliedRepository(name, ns, source, commit, {
        ...this.#o.render,
        revision: artifact.revision,
      }),
    );
    // The Kustomization waits for the pinned artifact: created earlier, kustomize-controller
    // would find no artifact and retry only after its dependency requeue (30 s).
    const pinnedRevision = pinned?.status?.artifact?.revision;
    if (!current(pinned) || !pinnedRevision || commitOf(pinnedRevision) !== commit) {
      const failed = readyOf(pinned);
      if (current(pinned) && failed?.status === "False") {
        return {
          state: "failed",
          reason: "SourceNotReady",
          message: `commit ${commit}: ${failed.reason ?? ""} ${failed.message ?? ""}`.trim(),
        };
      }
      return { state: "pending", reason: "Progressing", message: `fetching commit ${commit}` };
    }
    const kust = await this.#ensure(
      this.#o.kustomizations,
      placementKustomization(name, ns, source, patches, this.#o.render),
    );
    const kReady = readyOf(kust);
    const applied = kust?.status?.lastAppliedRevision;
    if (current(kust) && kReady?.status === "True" && applied && commitOf(applied) === commit) {
      return { state: "ready", message: `applied ${artifact.revision} to namespace ${ns}` };
    }
    if (current(kust) && kReady?.status === "False") {
      return {
        state: "failed",
        reason: "ApplyFailed",
        message: `Kustomization ${ns}/${name}: ${kReady.reason ?? ""} ${kReady.message ?? ""}`
          .trim(),
      };
    }
    return {
      state: "pending",
      reason: "Progressing",
      message: `applying ${artifact.revision}`,
    };
  }

  /** Applies `want` unless the cache already holds it; returns what the cache (or server) has. */
  async #ensure(store: StoreReader<FluxObject>, want: KubeObject): Promise<FluxObject | undefined> {
    const key = `${want.metadata?.namespace}/${want.metadata?.name}`;
    const have = store.get(key);
    if (
      have && contains(have.spec, want.spec) &&
      contains(have.metadata?.labels, want.metadata?.labels) &&
      contains(have.metadata?.annotations ?? {}, want.metadata?.annotations ?? {})
    ) {
      return have;
    }
    return await this.#client.apply<FluxObject>(want, { fieldManager: PLACEMENT_FIELD_MANAGER });
  }

  async #ensureNamespace(ns: string, signal: AbortSignal): Promise<void> {
    if (this.#o.kustomizations.get(`${ns}/${ns}`) || this.#o.repositories.get(`${ns}/${ns}`)) {
      return;
    }
    signal.throwIfAborted();
    try {
      // One request: a namespace that exists (ours or not) is left as it is.
      await this.#client.create({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns, labels: { [MANAGED_BY_LABEL]: PLACEMENT_MANAGER } },
      });
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  }

  async #writeStatus(
    obj: PlacementObject,
    seen: { source?: ResolvedSource; revision?: string; outcome: Outcome },
  ): Promise<void> {
    const status = placementStatus(obj.status, {
      generation: obj.metadata.generation,
      namespace: obj.metadata.name,
      ...seen,
    }, this.#o.now?.());
    if (canonical(status) === canonical(obj.status ?? {})) return;
    await this.#client.patchStatus(LATTICE_SERVICE_PLACEMENT_REF, obj.metadata.name, undefined, {
      status,
    });
  }

  /** Deletes the Kustomization (Flux prunes what it applied), then the sources. */
  async #remove(obj: PlacementObject, _ctx: ReconcileContext<PlacementObject>): Promise<Action> {
    const name = obj.metadata.name;
    const ns = name;
    if (!obj.metadata.finalizers?.includes(PLACEMENT_FINALIZER)) return Action.done();
    try {
      await this.#client.get(KUSTOMIZATION_REF, name, ns);
      await this.#client.delete(KUSTOMIZATION_REF, name, ns, { ignoreNotFound: true });
      return Action.requeueAfter(1_000);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    for (const n of [name, name + APPLIED_SUFFIX]) {
      await this.#client.delete(GIT_REPOSITORY_REF, n, ns, { ignoreNotFound: true });
    }
    await this.#client.patch(LATTICE_SERVICE_PLACEMENT_REF, name, {
      metadata: {
        resourceVersion: obj.metadata.resourceVersion,
        finalizers: (obj.metadata.finalizers ?? []).filter((f) => f !== PLACEMENT_FINALIZER),
      },
    });
    return Action.done();
  }
}
