/**
 * Registrations handed down the agent stream (docs/adr/registration-inheritance.md).
 *
 * - Parent: {@linkcode RegistrationHandDowner} keeps, for every connected child, the set the
 *   child should hold — this cell's own registrations over what it inherited — and sends it
 *   (RegistrationHandDown) whenever the hash the child reports in its heartbeat differs.
 *   Level-triggered like the spec sync: a change made while a link was down arrives when it
 *   comes back, and a child that lost its copy gets it again.
 * - Child: {@linkcode registrationHandlers} store the set in the ConfigMap
 *   `lattice-system/lattice-inherited-registrations` (the placement controller reads it and
 *   it survives restarts), and {@linkcode InheritedHash} reports its hash in heartbeats.
 */
import { Buffer } from "node:buffer";
import type { AgentRegistry } from "../../cell/registry.ts";
import type { CommandHandlers } from "../../agent/handlers.ts";
import { NAMESPACE } from "../../bundle/names.ts";
import { CONFIGMAP_REF, isNotFound, type KubeClient, type KubeObject } from "../../kube/mod.ts";
import { type Logger, silentLogger } from "../../log/mod.ts";
import { INHERITED_CONFIGMAP, INHERITED_HASH_ANNOTATION, INHERITED_KEY } from "./controller.ts";
import {
  decodeRegistrations,
  encodeRegistrations,
  handDown,
  type InheritedRegistration,
  type LocalRegistration,
  registrationsHash,
} from "./resolve.ts";

/** The registry calls the hand-down makes (an AgentRegistry satisfies it). */
export type HandDownRegistry = Pick<AgentRegistry, "get" | "sendCommand" | "subscribe">;

/** Options of {@linkcode RegistrationHandDowner}. */
export interface HandDownOptions {
  /** This cell's name (`definedOn` of its own registrations). */
  selfName: string;
  /** This cell's registrations now. */
  local: () => readonly LocalRegistration[];
  /** What this cell inherited now. */
  inherited: () => readonly InheritedRegistration[];
  /** Wait this long for the child's acknowledgement; default 30 s. */
  timeoutMs?: number;
  logger?: Logger;
}

/** Sends every child the registrations it should hold whenever it holds others. */
export class RegistrationHandDowner {
  readonly #registry: HandDownRegistry;
  readonly #o: HandDownOptions;
  readonly #log: Logger;
  readonly #reported = new Map<string, string>();
  readonly #inflight = new Map<string, Promise<void>>();
  #set?: { hash: string; bytes: Uint8Array };
  #detach?: () => void;
  /** Hand-downs sent (for the benchmark and tests). */
  sent = 0;

  constructor(registry: HandDownRegistry, options: HandDownOptions) {
    this.#registry = registry;
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child({ component: "registration-handdown" });
  }

  /** Follows heartbeats until {@linkcode close}. */
  start(): void {
    this.#detach ??= this.#registry.subscribe((event) => {
      if (event.type !== "message") return;
      const payload = event.message.payload;
      if (payload?.$case !== "heartbeat") return;
      this.#reported.set(event.clusterName, payload.value.registrationsHash ?? "");
      this.#maybeSend(event.clusterName);
    });
  }

  close(): void {
    this.#detach?.();
    this.#detach = undefined;
  }

  /** The set children should hold now, and its hash. */
  current(): { hash: string; set: InheritedRegistration[] } {
    const set = handDown(this.#o.selfName, this.#o.local(), this.#o.inherited());
    return { hash: registrationsHash(set), set };
  }

  /** Re-checks every child after a registration changed (cheap when nothing did). */
  changed(): void {
    this.#set = undefined;
    for (const name of this.#reported.keys()) this.#maybeSend(name);
  }

  /** Resolves when no send is in flight. */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all(this.#inflight.values());
  }

  #desired(): { hash: string; bytes: Uint8Array } {
    if (!this.#set) {
      const { hash, set } = this.current();
      this.#set = { hash, bytes: encodeRegistrations(set) };
    }
    return this.#set;
  }

  #maybeSend(child: string): void {
    if (this.#inflight.has(child)) return;
    const desired = this.#desired();
    if (this.#reported.get(child) === desired.hash) return;
    if (!this.#registry.get(child)?.connected) return;
    this.sent++;
    const send = this.#registry.sendCommand(child, {
      $case: "registrations",
      value: { hash: desired.hash, registrations: Buffer.from(desired.bytes) },
    }, { timeoutMs: this.#o.timeoutMs ?? 30_000 }).then(() => {
      this.#reported.set(child, desired.hash);
      this.#log.info("Handed registrations down", { cluster: child, hash: desired.hash });
      return true;
    }, (error: Error) => {
      this.#log.warn("Cannot hand registrations down; retried on the next heartbeat", {
        cluster: child,
        error,
      });
      return false;
    }).then((delivered) => {
      this.#inflight.delete(child);
      if (delivered) this.#maybeSend(child);
    });
    this.#inflight.set(child, send);
  }
}

/** The hash of the set this child holds, for its heartbeats. */
export class InheritedHash {
  value = "";

  /** Reads the stored set's hash (at start: a restarted agent reports what it holds). */
  async load(client: KubeClient, namespace = NAMESPACE): Promise<void> {
    try {
      const cm = await client.get(CONFIGMAP_REF, INHERITED_CONFIGMAP, namespace);
      this.value = cm.metadata?.annotations?.[INHERITED_HASH_ANNOTATION] ?? "";
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

/** Stores a handed-down set in the inherited ConfigMap. */
export async function storeInherited(
  client: KubeClient,
  set: readonly InheritedRegistration[],
  hash: string,
  namespace = NAMESPACE,
): Promise<void> {
  const cm: KubeObject & { data: Record<string, string> } = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: INHERITED_CONFIGMAP,
      namespace,
      annotations: { [INHERITED_HASH_ANNOTATION]: hash },
    },
    data: { [INHERITED_KEY]: JSON.stringify(set) },
  };
  await client.apply(cm, { fieldManager: "lattice-registrations" });
}

/** The `registrations` entry of the agent's handler table. */
export function registrationHandlers(
  client: KubeClient,
  hash: InheritedHash,
  options: { namespace?: string; onStored?: () => void } = {},
): CommandHandlers {
  return {
    registrations: async (command, ctx) => {
      const set = decodeRegistrations(command.registrations);
      if (registrationsHash(set) !== command.hash) {
        throw new Error("Cannot store registrations: their hash does not match the one sent");
      }
      await storeInherited(client, set, command.hash, options.namespace);
      hash.value = command.hash;
      ctx.logger.info("Stored the registrations handed down", {
        count: set.length,
        hash: command.hash,
      });
      options.onStored?.();
    },
  };
}
