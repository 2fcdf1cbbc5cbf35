/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules: a candidate
 * takes the lease when it is free, or when its record has not changed for a whole lease
 * duration as measured on OUR clock (so clock skew between nodes cannot steal it early).
 * The leader renews every retry period and steps down if it cannot renew within the renew
 * deadline; on shutdown it releases the lease so a successor need not wait for expiry.
 */
import {
  isAlreadyExists,
  isConflict,
  isNotFound,
  type KubeClient,
  type KubeObject,
  resourcePath,
  type ResourceRef,
} from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import { type Clock, sleep, systemClock } from "./clock.ts";
import type { RuntimeMetrics } from "./runtime_metrics.ts";

const LEASES: ResourceRef = {
  group: "coordination.k8s.io",
  version: "v1",
  plural: "leases",
  kind: "Lease",
  namespaced: true,
};

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/** Options for {@linkcode LeaderElector}. */
export interface LeaderElectorOptions {
  /** Lease name. */
  name: string;
  namespace: string;
  /** This candidate's identity (pod name); must be unique. */
  identity: string;
  /** Default 15 s. */
  leaseDurationMs?: number;
  /** The leader gives up if it cannot renew for this long; default 10 s. */
  renewDeadlineMs?: number;
  /** Pause between acquire/renew attempts; default 2 s. */
  retryPeriodMs?: number;
  /** Release on shutdown; default true. */
  releaseOnCancel?: boolean;
  clock?: Clock;
  logger?: Logger;
  metrics?: RuntimeMetrics;
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** Campaigns for a Lease and runs work only while holding it. */
export class LeaderElector {
  #client: KubeClient;
  #o: Required<Omit<LeaderElectorOptions, "metrics">> & { metrics?: RuntimeMetrics };
  #observed?: { record: string; at: number };
  #lease?: Lease;
  #leading = false;

  constructor(client: KubeClient, options: LeaderElectorOptions) {
    this.#client = client;
    this.#o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      releaseOnCancel: true,
      clock: systemClock,
      logger: silentLogger,
      ...options,
    };
    this.#o.logger = this.#o.logger.child({ lease: `${options.namespace}/${options.name}` });
  }

  /** True while this process holds the lease. */
  get isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Campaigns until `signal` aborts. Each time leadership is won, `onLeading` runs with a
   * signal that aborts when leadership is lost or on shutdown; it must return after that.
   */
  async run(signal: AbortSignal, onLeading: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const { clock, retryPeriodMs, logger } = this.#o;
    while (!signal.aborted) {
      if (!(await this.#tryAcquireOrRenew())) {
        await sleep(clock, retryPeriodMs, signal).catch(() => {});
        continue;
      }
      logger.info("Became leader", { identity: this.#o.identity });
      this.#setLeading(true);
      const term = new AbortController();
      const stop = () => term.abort(signal.reason);
      signal.addEventListener("abort", stop, { once: true });
      const work = onLeading(term.signal).catch((error) => {
        logger.error("Leader work failed", { error });
      });
      await this.#renewLoop(term.signal);
      if (!term.signal.aborted) {
        logger.warn("Cannot renew lease: stepping down", { identity: this.#o.identity });
        term.abort(new Error("Cannot keep leadership: lease renewal failed"));
      }
      signal.removeEventListener("abort", stop);
      await work;
      this.#setLeading(false);
      if (signal.aborted && this.#o.releaseOnCancel) await this.#release();
    }
  }

  #setLeading(value: boolean) {
    this.#leading = value;
    this.#o.metrics?.leader.set({ name: this.#o.name }, value ? 1 : 0);
  }

  // Returns when the term signal aborts (shutdown) or renewal failed past the deadline.
  async #renewLoop(term: AbortSignal): Promise<void> {
    const { clock, retryPeriodMs, renewDeadlineMs } = this.#o;
    let lastRenew = clock.now();
    while (!term.aborted) {
      await sleep(clock, retryPeriodMs, term).catch(() => {});
      if (term.aborted) return;
      if (await this.#tryAcquireOrRenew()) lastRenew = clock.now();
      else if (clock.now() - lastRenew >= renewDeadlineMs) return;
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { clock, identity, leaseDurationMs, name, namespace, logger } = this.#o;
    const now = clock.now();
    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    try {
      let lease: Lease;
      try {
        lease = await this.#client.get<Lease>(LEASES, name, namespace);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        this.#lease = await this.#client.request<Lease>({
          method: "POST",
          path: resourcePath(LEASES, { namespace }),
          body: {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name, namespace },
            spec,
          },
        });
        return true;
      }
      const old = lease.spec ?? {};
      const record = JSON.stringify([old.holderIdentity, old.renewTime, old.acquireTime]);
      if (this.#observed?.record !== record) this.#observed = { record, at: now };
      const held = Boolean(old.holderIdentity) && old.holderIdentity !== identity;
      const duration = (old.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
      if (held && this.#observed.at + duration > now) return false;
      if (old.holderIdentity === identity) {
        spec.acquireTime = old.acquireTime;
        spec.leaseTransitions = old.leaseTransitions ?? 0;
      } else {
        spec.leaseTransitions = (old.leaseTransitions ?? 0) + 1;
        if (held) logger.info("Taking over expired lease", { from: old.holderIdentity });
      }
      this.#lease = await this.#client.request<Lease>({
        method: "PUT",
        path: resourcePath(LEASES, { namespace, name }),
        body: { ...lease, spec: { ...old, ...spec } },
      });
      this.#observed = {
        record: JSON.stringify([identity, spec.renewTime, spec.acquireTime]),
        at: now,
      };
      return true;
    } catch (error) {
      // A conflict means someone else wrote first; they win this round.
      if (!isConflict(error) && !isAlreadyExists(error)) {
        logger.warn("Cannot acquire or renew lease", { error });
      }
      return false;
    }
  }

  async #release(): Promise<void> {
    const lease = this.#lease;
    if (!lease?.spec || lease.spec.holderIdentity !== this.#o.identity) return;
    try {
      await this.#client.request({
        method: "PUT",
        path: resourcePath(LEASES, { namespace: this.#o.namespace, name: this.#o.name }),
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: null,
            leaseDurationSeconds: 1,
            renewTime: microTime(this.#o.clock.now()),
          },
        },
      });
      this.#o.logger.info("Released lease");
    } catch (error) {
      this.#o.logger.warn("Cannot release lease", { error });
    }
  }
}
