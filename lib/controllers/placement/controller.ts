/**
 * Wiring of the placement controller: the LatticeServicePlacement Controller, and the caches
 * it reads — this cluster's registrations, the set the parent handed down (a ConfigMap the
 * agent writes), and the Flux objects it wrote. A change of any of them wakes the
 * placements it concerns.
 */
import { LATTICE_SERVICE_PLACEMENT_REF, LATTICE_SERVICE_REGISTRATION_REF } from "../../api/refs.ts";
import { NAMESPACE } from "../../bundle/names.ts";
import { GIT_REPOSITORY_REF, KUSTOMIZATION_REF } from "../../flux/names.ts";
import {
  CONFIGMAP_REF,
  type EventRecorder,
  type KubeClient,
  type KubeObject,
} from "../../kube/mod.ts";
import type { Logger } from "../../log/mod.ts";
import {
  Controller,
  feedStore,
  type RuntimeMetrics,
  Store,
  type StoreReader,
} from "../../runtime/mod.ts";
import { type FluxObject, type PlacementObject, PlacementReconciler } from "./reconcile.ts";
import { PLACEMENT_LABEL, type RenderOptions } from "./render.ts";
import {
  decodeRegistrations,
  type InheritedRegistration,
  type LocalRegistration,
} from "./resolve.ts";
import type { TarFile } from "./artifact.ts";

/** The ConfigMap (in lattice-system) holding what the parent handed down. */
export const INHERITED_CONFIGMAP = "lattice-inherited-registrations";
/** Its key holding the JSON list. */
export const INHERITED_KEY = "registrations.json";
/** Its annotation holding the set's hash (reported back to the parent). */
export const INHERITED_HASH_ANNOTATION = "lattice.dev/registrations-hash";

/** Options of {@linkcode placementControllers}. */
export interface PlacementOptions {
  selfName: string;
  signal: AbortSignal;
  /** Namespace of the inherited ConfigMap; default lattice-system. */
  namespace?: string;
  logger?: Logger;
  recorder?: EventRecorder;
  metrics?: RuntimeMetrics;
  workers?: number;
  render?: RenderOptions;
  fetchArtifact?: (url: string, signal: AbortSignal) => Promise<TarFile[]>;
  /**
   * Only placements with these labels (several controllers sharing one API server, as in
   * the benchmark); also selects the Flux objects, so pass the same labels in
   * `render.labels`.
   */
  labelSelector?: string;
}

/** The placement controller and the caches it reads. */
export interface Placements {
  placements: Controller<PlacementObject>;
  registrations: StoreReader<LocalRegistration & KubeObject>;
  /** The inherited set now. */
  inherited: () => readonly InheritedRegistration[];
  controllers: Controller[];
  /** Calls `listener` whenever this cluster's or the inherited registrations change. */
  onRegistrationsChanged(listener: () => void): void;
}

/** Builds the placement controller (run it with runOperator or `Controller.run`). */
export function placementControllers(client: KubeClient, options: PlacementOptions): Placements {
  const registrations = new Store<LocalRegistration & KubeObject>();
  const inheritedStore = new Store<KubeObject & { data?: Record<string, string> }>();
  const repositories = new Store<FluxObject>();
  const kustomizations = new Store<FluxObject>();
  let inheritedCache: { rv?: string; set: readonly InheritedRegistration[] } = { set: [] };
  const inherited = (): readonly InheritedRegistration[] => {
    const cm = inheritedStore.list()[0];
    if (!cm) return [];
    if (inheritedCache.rv === cm.metadata?.resourceVersion) return inheritedCache.set;
    let set: readonly InheritedRegistration[] = [];
    try {
      set = decodeRegistrations(new TextEncoder().encode(cm.data?.[INHERITED_KEY] ?? "[]"));
    } catch (error) {
      options.logger?.warn("Cannot read the inherited registrations", { error });
    }
    inheritedCache = { rv: cm.metadata?.resourceVersion, set };
    return set;
  };
  const placements = new Controller<PlacementObject>(client, {
    name: "latticeserviceplacement",
    ref: LATTICE_SERVICE_PLACEMENT_REF,
    labelSelector: options.labelSelector,
    workers: options.workers ?? 4,
    logger: options.logger,
    recorder: options.recorder,
    metrics: options.metrics,
    reconciler: new PlacementReconciler(client, {
      selfName: options.selfName,
      registrations: registrations.reader(),
      inherited,
      repositories: repositories.reader(),
      kustomizations: kustomizations.reader(),
      ready: inheritedStore.ready,
      render: options.render,
      fetchArtifact: options.fetchArtifact,
    }),
  });
  const listeners: (() => void)[] = [];
  const changed = () => listeners.forEach((l) => l());
  const wakeService = (service: string) => {
    changed();
    for (const p of placements.store.list()) {
      if (p.spec?.serviceRef === service) placements.enqueue(p.metadata.name);
    }
  };
  const wakeAll = () => {
    changed();
    for (const key of placements.store.keys()) placements.enqueue(key);
  };
  const byLabel = (o: KubeObject) => {
    const p = o.metadata?.labels?.[PLACEMENT_LABEL];
    if (p) placements.enqueue(p);
  };
  const { signal, logger } = options;
  const selector = options.labelSelector
    ? `${PLACEMENT_LABEL},${options.labelSelector}`
    : PLACEMENT_LABEL;
  const run = (p: Promise<void>, what: string) =>
    p.catch((error) => logger?.error(`${what} cache ended`, { error }));
  run(
    feedStore(client, LATTICE_SERVICE_REGISTRATION_REF, registrations, { signal, logger }, (r) => {
      if (r.metadata?.name) wakeService(r.metadata.name);
    }),
    "registration",
  );
  run(
    feedStore(client, CONFIGMAP_REF, inheritedStore, {
      namespace: options.namespace ?? NAMESPACE,
      fieldSelector: `metadata.name=${INHERITED_CONFIGMAP}`,
      signal,
      logger,
    }, wakeAll),
    "inherited registrations",
  );
  run(
    feedStore(client, GIT_REPOSITORY_REF, repositories, {
      labelSelector: selector,
      signal,
      logger,
    }, byLabel),
    "GitRepository",
  );
  run(
    feedStore(client, KUSTOMIZATION_REF, kustomizations, {
      labelSelector: selector,
      signal,
      logger,
    }, byLabel),
    "Kustomization",
  );
  return {
    placements,
    registrations: registrations.reader(),
    inherited,
    controllers: [placements as Controller],
    onRegistrationsChanged: (listener) => void listeners.push(listener),
  };
}
