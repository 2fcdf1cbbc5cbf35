/**
 * Wiring of the mesh into the runtime: three Controllers (LatticeServices, default deny
 * over Namespaces, LatticeEnvironments) and a cache of the mesh's Deployments that wakes
 * their service when their readiness changes.
 *
 * A change of a LatticeService wakes the peers it declares now or declared before, so a
 * peer re-evaluates the pair as soon as either side's declaration changes or goes.
 */
import {
  LATTICE_CLUSTER_REF,
  LATTICE_ENVIRONMENT_REF,
  LATTICE_SERVICE_REF,
} from "../../api/mod.ts";
import {
  DEPLOYMENT_REF,
  type EventRecorder,
  type KubeClient,
  type KubeObject,
  objectKey,
} from "../../kube/mod.ts";
import type { Logger } from "../../log/mod.ts";
import {
  Controller,
  feedStore,
  type RuntimeMetrics,
  Store,
  type StoreReader,
} from "../../runtime/mod.ts";
import { serviceRefs } from "./agreement.ts";
import { DefaultDenyReconciler } from "./baseline.ts";
import { EnvironmentReconciler } from "./environment.ts";
import {
  AUTHZ_REF,
  CNP_REF,
  MANAGED_BY_LABEL,
  MESH_MANAGER,
  NAMESPACE_REF,
  SERVICE_LABEL,
} from "./names.ts";
import { PolicyIndex } from "./policy_index.ts";
import { ServiceReconciler } from "./reconcile.ts";
import type { EnvironmentObject, ServiceObject } from "./types.ts";

/** Options of {@linkcode meshControllers}. */
export interface MeshOptions {
  /** This cluster's name (environments match its LatticeCluster's labels). */
  selfName: string;
  logger?: Logger;
  recorder?: EventRecorder;
  metrics?: RuntimeMetrics;
  /**
   * Stops the Deployment cache and the policy index (the controllers stop with their own
   * run signal).
   */
  signal: AbortSignal;
  /** Parallel service reconciles; default 8. */
  workers?: number;
  /** Requests in flight per reconcile; default 8. */
  parallelism?: number;
}

/** The mesh's controllers, and the Deployment cache they read. */
export interface Mesh {
  services: Controller<ServiceObject>;
  environments: Controller<EnvironmentObject>;
  defaultDeny: Controller<KubeObject>;
  deployments: StoreReader<KubeObject>;
  /** What pair policies exist (watched by the mesh, not listed per reconcile). */
  policies: PolicyIndex;
  /** All three controllers, for runOperator. */
  controllers: Controller[];
}

/**
 * Wakes the peers `svc` declares now and the ones it declared at its previous change, and
 * the services that declare `svc` (their pending reasons name it: "does not exist", "must
 * declare…"). A change that leaves what peers read untouched (its status, labels, replicas,
 * images) wakes no peer: during a big roll-out every status write would otherwise wake all
 * of a service's peers again.
 */
export function peerWaker(
  /** Whether `ns/name` is still in the cache (a deleted object without finalizer has no
   * deletionTimestamp in its DELETED event; the waker runs after the cache changed). */
  present: (key: string) => boolean = () => true,
): (svc: ServiceObject) => string[] {
  const last = new Map<string, { peers: string[]; seen: string }>();
  /** `ns/name` → the services that declare it. */
  const declaredBy = new Map<string, Set<string>>();
  return (svc) => {
    const key = objectKey(svc);
    const ns = svc.metadata.namespace ?? "default";
    const gone = !!svc.metadata.deletionTimestamp || !present(key);
    const now = gone ? [] : serviceRefs({
      namespace: ns,
      name: svc.metadata.name,
      spec: svc.spec,
    }).map((r) => `${r.namespace}/${r.name}`);
    // What a peer's agreement reads of this service: its declarations and its ports.
    const seen = gone ? "" : JSON.stringify([svc.spec?.resources, svc.spec?.service?.ports]);
    const before = last.get(key);
    if (before && before.seen === seen) return [];
    for (const peer of before?.peers ?? []) declaredBy.get(peer)?.delete(key);
    for (const peer of now) {
      let set = declaredBy.get(peer);
      if (!set) declaredBy.set(peer, set = new Set());
      set.add(key);
    }
    if (!gone) last.set(key, { peers: now, seen });
    else last.delete(key);
    const declarers = [...declaredBy.get(key) ?? []];
    if (declaredBy.get(key)?.size === 0) declaredBy.delete(key);
    return [...new Set([...before?.peers ?? [], ...now, ...declarers])].filter((k) => k !== key);
  };
}

/** Builds the mesh's controllers (run them with runOperator or `Controller.run`). */
export function meshControllers(client: KubeClient, options: MeshOptions): Mesh {
  const base = {
    logger: options.logger,
    recorder: options.recorder,
    metrics: options.metrics,
  };
  const deploymentStore = new Store<KubeObject>();
  const policyRefs = [CNP_REF, AUTHZ_REF];
  const policies = new PolicyIndex(client, policyRefs, {
    logger: options.logger,
    onDrift: (key) => services.enqueue(key),
  });
  // deno-lint-ignore prefer-const
  let services: Controller<ServiceObject>;
  // deno-lint-ignore prefer-const
  let defaultDeny: Controller<KubeObject> | undefined;
  const environments: Controller<EnvironmentObject> = new Controller(client, {
    ...base,
    name: "latticeenvironment",
    ref: LATTICE_ENVIRONMENT_REF,
    reconciler: new EnvironmentReconciler(client, {
      selfName: options.selfName,
      onMapChange: () => {
        for (const key of services?.store.keys() ?? []) services.enqueue(key);
      },
    }),
    owns: [{ ref: LATTICE_CLUSTER_REF, toKeys: clusterLabelWaker(() => environments) }],
  });
  services = new Controller<ServiceObject>(client, {
    ...base,
    name: "latticeservice",
    ref: LATTICE_SERVICE_REF,
    workers: options.workers ?? 8,
    reconciler: new ServiceReconciler(client, {
      environments: environments.store,
      deployments: deploymentStore,
      namespaces: () => defaultDeny?.store,
      policies,
      parallelism: options.parallelism,
    }),
    // While the first list fills the cache nothing counts as gone.
    wakes: peerWaker((key) => !services.store.isReady || services.store.get(key) !== undefined),
  });
  defaultDeny = new Controller<KubeObject>(client, {
    ...base,
    name: "mesh-default-deny",
    ref: NAMESPACE_REF,
    workers: 1,
    reconciler: new DefaultDenyReconciler(client, options.logger),
  });
  const selector = `${MANAGED_BY_LABEL}=${MESH_MANAGER}`;
  feedStore(client, DEPLOYMENT_REF, deploymentStore, {
    labelSelector: selector,
    signal: options.signal,
    logger: options.logger,
  }, (d) => {
    const svc = d.metadata?.labels?.[SERVICE_LABEL];
    if (svc && d.metadata?.namespace) services.enqueue(`${d.metadata.namespace}/${svc}`);
  }).catch((error) => options.logger?.error("Deployment cache ended", { error }));
  policies.run(policyRefs, options.signal)
    .catch((error) => options.logger?.error("Policy index ended", { error }));
  return {
    services,
    environments,
    defaultDeny,
    deployments: deploymentStore.reader(),
    policies,
    controllers: [services, environments, defaultDeny] as Controller[],
  };
}

/**
 * Wakes every environment when a LatticeCluster appears, goes, or changes its labels
 * (status updates, which are frequent, wake nothing).
 */
function clusterLabelWaker(
  environments: () => Controller<EnvironmentObject> | undefined,
): (obj: KubeObject) => string[] {
  const last = new Map<string, string>();
  return (obj) => {
    const key = objectKey(obj);
    const labels = obj.metadata?.deletionTimestamp
      ? "<gone>"
      : JSON.stringify(obj.metadata?.labels ?? {});
    if (last.get(key) === labels) return [];
    last.set(key, labels);
    return environments()?.store.keys() ?? [];
  };
}
