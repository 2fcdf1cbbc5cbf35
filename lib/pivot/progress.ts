/**
 * Persisted pivot progress: the markers that let either side crash at any step. The cell
 * keeps them in its LatticeCluster's status.pivot; tests and tools may keep them in memory.
 */
import { type Condition, setCondition } from "../api/condition.ts";
import type { LatticeClusterStatus } from "../api/lattice_cluster.ts";
import type { KubeObject } from "../kube/types.ts";
import type { PivotClient } from "./_client.ts";
import { LATTICE_CLUSTER_REF } from "../api/refs.ts";

export { LATTICE_CLUSTER_REF };

/** The persisted progress of one pivot (LatticeCluster `status.pivot`). */
export type PivotProgress = NonNullable<LatticeClusterStatus["pivot"]>;

/** Steps of a pivot, in order; Aborting/Aborted follow a rollback. */
export type PivotPhase = PivotProgress["phase"];

/** A condition to record, without its transition time. */
export type PivotCondition = Omit<Condition, "lastTransitionTime">;

/** The condition type the pivot sets. */
export const PIVOTED_CONDITION = "Pivoted";

/** Where progress lives. `save` must be durable when it resolves. */
export interface ProgressStore {
  /** The current progress; undefined before the first pivot. */
  load(): Promise<PivotProgress | undefined>;
  /** Persists progress, and a condition when given. */
  save(progress: PivotProgress, condition?: PivotCondition): Promise<void>;
}

/** An in-memory store (tests, benchmarks); `conditions` shows what was recorded. */
export interface MemoryProgressStore extends ProgressStore {
  readonly conditions: Condition[];
  /** Every progress saved, in order. */
  readonly history: PivotProgress[];
}

/** Options for progress stores. */
export interface ProgressStoreOptions {
  /** Clock for condition transition times. */
  now?: () => Date;
  /** Status field holding the progress; default `pivot` (`unpivot` for the reverse). */
  field?: "pivot" | "unpivot";
  /** Type the recorded condition gets; default its own (`Pivoted`). */
  conditionType?: string;
}

/** A store that keeps progress in memory. */
export function memoryProgressStore(options: ProgressStoreOptions = {}): MemoryProgressStore {
  let current: PivotProgress | undefined;
  let conditions: Condition[] = [];
  const history: PivotProgress[] = [];
  return {
    get conditions() {
      return conditions;
    },
    history,
    load: () => Promise.resolve(current && structuredClone(current)),
    save(progress, condition) {
      current = structuredClone(progress);
      history.push(current);
      if (condition) conditions = setCondition(conditions, condition, { now: options.now?.() });
      return Promise.resolve();
    },
  };
}

const PROGRESS_KEYS: (keyof PivotProgress)[] = [
  "phase",
  "pivotId",
  "batchesAcked",
  "batchesTotal",
  "objects",
  "graphDigest",
  "startedAt",
  "message",
];

/**
 * A store on a LatticeCluster's status subresource: `status.pivot`, and the Pivoted
 * condition merged into `status.conditions` (other conditions are kept).
 */
export function latticeClusterProgressStore(
  client: PivotClient,
  name: string,
  options: ProgressStoreOptions = {},
): ProgressStore {
  const read = () =>
    client.get<KubeObject & { status?: LatticeClusterStatus }>(LATTICE_CLUSTER_REF, name);
  return {
    async load() {
      return (await read()).status?.[options.field ?? "pivot"];
    },
    async save(progress, condition) {
      // A merge patch keeps keys it does not mention: name every key, null the absent ones.
      const pivot: Record<string, unknown> = {};
      for (const key of PROGRESS_KEYS) pivot[key] = progress[key] ?? null;
      const status: Record<string, unknown> = { [options.field ?? "pivot"]: pivot };
      if (condition) {
        const current = (await read()).status?.conditions;
        const type = options.conditionType ?? condition.type;
        status.conditions = setCondition(current, { ...condition, type }, { now: options.now?.() });
      }
      await client.patchStatus(LATTICE_CLUSTER_REF, name, undefined, { status });
    },
  };
}
