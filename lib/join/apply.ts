/**
 * Applying the bundle to the local apiserver with server-side apply, in order, waiting
 * for CRDs to be Established before the objects that need them.
 */
import { pause, systemClock } from "../runtime/clock.ts";
import { ApiError } from "../kube/errors.ts";
import type { KubeClient } from "../kube/client.ts";
import type { KubeObject } from "../kube/types.ts";
import type { Logger } from "../log/mod.ts";
import { retry, type RetryHint, type RetryOptions } from "./retry.ts";
import { CRD_REF } from "../kube/refs.ts";

/** Options for {@linkcode applyBundle}. */
export interface ApplyBundleOptions {
  /** SSA field manager. */
  fieldManager: string;
  logger: Logger;
  retry?: RetryOptions;
  /** How long to wait for each CRD to be Established; default 60 s. */
  crdTimeoutMs?: number;
  /** Clock in ms, for tests. */
  now?: () => number;
}

/** Transient for apply: 5xx, 429, conflicts, and kinds not (yet) served. */
export function classifyApplyError(error: unknown): RetryHint {
  if (error instanceof ApiError) {
    const transient = error.status >= 500 || error.status === 429 || error.status === 409;
    return { transient, retryAfterMs: (error.retryAfterSeconds ?? 0) * 1000 };
  }
  // Network errors and "does not serve" while a CRD registers are worth another try.
  return { transient: true };
}

function describe(obj: KubeObject): string {
  const ns = obj.metadata?.namespace ? `${obj.metadata.namespace}/` : "";
  return `${obj.kind} ${ns}${obj.metadata?.name}`;
}

interface CrdStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

async function waitEstablished(
  client: KubeClient,
  name: string,
  options: ApplyBundleOptions,
): Promise<void> {
  const now = options.now ?? Date.now;
  const deadline = now() + (options.crdTimeoutMs ?? 60_000);
  const sleep = options.retry?.sleep ?? ((ms: number) => pause(systemClock, ms));
  for (;;) {
    const crd = await client.get<CrdStatus>(CRD_REF, name);
    const established = crd.status?.conditions?.some((c) =>
      c.type === "Established" && c.status === "True"
    );
    if (established) return;
    if (now() >= deadline) {
      throw new Error(`Cannot apply bundle: CRD ${name} was not Established in time`);
    }
    await sleep(200);
  }
}

/** Applies `objects` in order; returns how many were applied. */
export async function applyBundle(
  client: KubeClient,
  objects: readonly KubeObject[],
  options: ApplyBundleOptions,
): Promise<number> {
  let applied = 0;
  for (const obj of objects) {
    options.logger.info(`Applying ${describe(obj)}`);
    await retry(
      () => client.apply(obj, { fieldManager: options.fieldManager, force: true }),
      classifyApplyError,
      {
        ...options.retry,
        onRetry: (error, attempt, delayMs) =>
          options.logger.warn(`Retrying ${describe(obj)}`, { attempt, delayMs, error }),
      },
    ).catch((error) => {
      throw new Error(`Cannot apply ${describe(obj)}: ${(error as Error).message}`, {
        cause: error,
      });
    });
    applied++;
    if (obj.kind === "CustomResourceDefinition") {
      await waitEstablished(client, obj.metadata?.name ?? "", options);
    }
  }
  return applied;
}
