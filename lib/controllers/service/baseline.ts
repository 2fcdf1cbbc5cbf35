/**
 * The default-deny reconciler: a Controller over Namespaces whose every reconcile makes the
 * cluster's default-deny objects match the namespaces that exist (default_deny.ts). Objects
 * whose content did not change since this process applied them are not sent again. When
 * Cilium's or Istio's CRDs are not installed, the other half is still applied and the
 * missing half is retried every minute.
 */
import type { KubeClient, KubeObject } from "../../kube/mod.ts";
import { isNotFound } from "../../kube/mod.ts";
import type { Logger } from "../../log/mod.ts";
import { Action, type ReconcileContext, type Reconciler } from "../../runtime/mod.ts";
import { applyObject, contentHash } from "./apply.ts";
import { defaultDenyObjects } from "./default_deny.ts";

/** Reconciles the default-deny objects from the cluster's namespaces. */
export class DefaultDenyReconciler implements Reconciler<KubeObject> {
  readonly #client: KubeClient;
  readonly #log?: Logger;
  readonly #applied = new Map<string, string>();
  /** Objects already reported missing: said once, then retried quietly every minute. */
  readonly #warned = new Set<string>();

  constructor(client: KubeClient, logger?: Logger) {
    this.#client = client;
    this.#log = logger;
  }

  async reconcile(_ns: KubeObject, ctx: ReconcileContext<KubeObject>): Promise<Action> {
    const names = ctx.store.list().filter((n) => !n.metadata?.deletionTimestamp)
      .map((n) => n.metadata?.name ?? "");
    let missing = false;
    for (const obj of defaultDenyObjects(names)) {
      const key = `${obj.kind}/${obj.metadata?.namespace ?? ""}/${obj.metadata?.name}`;
      const hash = contentHash(obj);
      if (this.#applied.get(key) === hash) continue;
      try {
        await applyObject(this.#client, obj);
        this.#applied.set(key, hash);
        this.#warned.delete(key);
      } catch (error) {
        // A CRD that is not installed fails discovery with the apiserver's 404 as cause.
        if (!isNotFound(error) && !(error instanceof Error && isNotFound(error.cause))) {
          throw error;
        }
        missing = true;
        if (this.#warned.has(key)) continue;
        this.#warned.add(key);
        this.#log?.warn("Cannot apply default deny: its CRD or namespace is missing", {
          object: key,
        });
      }
    }
    return missing ? Action.requeueAfter(60_000) : Action.done();
  }
}
