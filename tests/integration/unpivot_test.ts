/**
 * The unpivot (deletion of a pivoted child) between two real control planes: the child's
 * agent handlers run the pivot in reverse from its own plane, the parent's UnpivotReceiver
 * applies each transfer on the parent's plane. A crash of the agent (its run and memory) or
 * of the cell (a transfer lost before or after it was applied) is injected at every step
 * boundary; each time the parent's next UnpivotCommand completes it, and no CAPI object is
 * ever left paused or on both sides.
 */
import assert from "node:assert/strict";
import type { KubeClient } from "../../lib/kube/client.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { silentLogger } from "../../lib/log/mod.ts";
import {
  PIVOT_PAUSED_LABEL,
  PivotTarget,
  type RunPivotOptions,
  unpivotHandlers,
  UnpivotReceiver,
} from "../../lib/pivot/mod.ts";
import type { CommandContext } from "../../lib/agent/handlers.ts";
import type { UnpivotProgress, UnpivotTransfer } from "../../lib/proto/lattice/agent/v1/agent.ts";
import { clusterFixture } from "../pivot/fixtures.ts";
import {
  createFixture,
  createLatticeCluster,
  latticeStatus,
  snapshot,
  startPivotPlanes,
} from "../pivot/live.ts";

const CLUSTER_REF = {
  group: "cluster.x-k8s.io",
  version: "v1beta2",
  plural: "clusters",
  kind: "Cluster",
  namespaced: true,
};

/** The two planes in the unpivot's roles: the child is the source. */
interface Planes {
  childClient: KubeClient;
  parentClient: KubeClient;
}

interface Scenario {
  name: string;
  /** Agent crash: the child's run throws once at this runPivot step. */
  agentFault?: string;
  /** Cell crash: the transfer of this step is lost once, before or after it was applied. */
  cellFault?: { step: string; applied: boolean };
  allowed?: boolean;
}

/** One child with its agent, and the parent's receiver, wired in process. */
function wire(planes: Planes, s: Scenario) {
  let agentFired = false;
  let cellFired = false;
  const hook = (point: string) => {
    if (point === s.agentFault && !agentFired) {
      agentFired = true;
      throw new Error(`injected agent crash at ${point}`);
    }
  };
  let receiver = new UnpivotReceiver({
    target: new PivotTarget(planes.parentClient),
    allowed: () => Promise.resolve(s.allowed ?? true),
    logger: silentLogger,
  });
  const options: RunPivotOptions = { maxObjects: 6, hook };
  let agent = unpivotHandlers(planes.childClient, { ...options, transferTimeoutMs: 2_000 });
  const stepOf = (t: UnpivotTransfer) =>
    t.step?.$case === "batch" ? `batch:${t.step.value.batchIndex}` : t.step?.$case ?? "";
  const ctx: CommandContext = {
    clusterName: s.name,
    commandId: "",
    signal: new AbortController().signal,
    logger: silentLogger,
    send(payload) {
      if (payload.$case !== "unpivotTransfer") return;
      const transfer = payload.value;
      const lost = s.cellFault?.step === stepOf(transfer) && !cellFired;
      if (lost && !s.cellFault!.applied) {
        cellFired = true;
        return; // the cell died before applying it: no answer ever comes
      }
      receiver.handle(s.name, transfer).then((ack) => {
        if (lost) {
          cellFired = true;
          return; // applied, but the cell died before answering
        }
        agent.handlers.unpivotTransferAck!(ack, ctx);
      });
    },
  };
  return {
    /** The parent's UnpivotCommand; resolves with the progress the ack carries. */
    async command(): Promise<UnpivotProgress> {
      const result = await agent.handlers.unpivot!({
        clusterName: s.name,
        capiNamespace: `capi-${s.name}`,
        unpivotId: `unpivot-${s.name}`,
      }, ctx);
      return (result as { unpivot: UnpivotProgress }).unpivot;
    },
    idle: () => agent.idle(),
    /** Both sides restart: fresh agent handlers and a fresh receiver. */
    restart() {
      agent.disconnected();
      agent = unpivotHandlers(planes.childClient, { ...options, transferTimeoutMs: 2_000 });
      receiver = new UnpivotReceiver({
        target: new PivotTarget(planes.parentClient),
        allowed: () => Promise.resolve(s.allowed ?? true),
        logger: silentLogger,
      });
    },
    get fired() {
      return agentFired || cellFired;
    },
  };
}

async function assertNotPaused(client: KubeClient, namespace: string, name: string) {
  const cluster = await client.get<KubeObject>(CLUSTER_REF, name, namespace);
  assert.equal((cluster.spec as { paused?: boolean }).paused, undefined, `${name} is paused`);
  assert.equal(cluster.metadata?.labels?.[PIVOT_PAUSED_LABEL], undefined);
}

async function runScenario(planes: Planes, s: Scenario): Promise<void> {
  const namespace = `capi-${s.name}`;
  await createFixture(planes.childClient, namespace, clusterFixture(s.name, namespace));
  await createLatticeCluster(planes.childClient, s.name);
  const before = await snapshot(planes.childClient, namespace);
  const link = wire(planes, s);
  let last: UnpivotProgress | undefined;
  for (let i = 0; i < 8 && last?.phase !== "Done"; i++) {
    last = await link.command();
    await link.idle();
    if (link.fired && i === 0) link.restart();
    // Between passes, never two managers: the child's copies stay paused until deleted.
    const child = await snapshot(planes.childClient, namespace);
    const parent = await snapshot(planes.parentClient, namespace);
    const unpausedParent = Object.values(parent).some((o) =>
      o.kind === "Cluster" && (o.spec as { paused?: boolean }).paused !== true
    );
    const unpausedChild = Object.values(child).some((o) =>
      o.kind === "Cluster" && (o.spec as { paused?: boolean }).paused !== true
    );
    assert.ok(!(unpausedParent && unpausedChild), `two managers after pass ${i}`);
  }
  last = await link.command();
  assert.equal(last.phase, "Done", `unpivot of ${s.name} did not finish: ${last.message}`);
  if (s.agentFault || s.cellFault) assert.ok(link.fired, "the fault was never reached");
  const after = await snapshot(planes.parentClient, namespace);
  assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
  for (const key of Object.keys(before)) assert.deepEqual(after[key], before[key], key);
  assert.deepEqual(Object.keys(await snapshot(planes.childClient, namespace)), [], "left on child");
  await assertNotPaused(planes.parentClient, namespace, s.name);
  const status = await latticeStatus(planes.childClient, s.name);
  assert.equal((status.unpivot as { phase: string }).phase, "Done");
  const conditions = status.conditions as { type: string; status: string }[];
  assert.equal(conditions.find((c) => c.type === "Unpivoted")?.status, "True");
}

const AGENT_FAULTS = [
  "pause:before",
  "pause:after",
  "batch:0:before",
  "batch:0:acked",
  "batch:2:after",
  "complete:before",
  "complete:acked",
  "delete:before",
  "delete:5",
  "done:before",
];
const CELL_FAULTS = [
  { step: "batch:0", applied: false },
  { step: "batch:1", applied: true },
  { step: "unpause", applied: false },
  { step: "unpause", applied: true },
];

Deno.test("unpivot between two real control planes", async (t) => {
  const started = await startPivotPlanes();
  // Reversed roles: the child (pivot target plane) is the source of the unpivot.
  // The pivot's source plane holds the LatticeCluster CRD: here it plays the child.
  const planes: Planes = { childClient: started.source, parentClient: started.target };
  try {
    await t.step("a whole cluster's graph moves back with full fidelity", async () => {
      await runScenario(planes, { name: "back" });
    });

    let n = 0;
    for (const fault of AGENT_FAULTS) {
      await t.step(`agent crash at ${fault}: completes on retry`, async () => {
        await runScenario(planes, { name: `ua${n++}`, agentFault: fault });
      });
    }
    for (const fault of CELL_FAULTS) {
      await t.step(
        `cell crash at ${fault.step} (${fault.applied ? "after" : "before"} applying)`,
        async () => {
          await runScenario(planes, { name: `uc${n++}`, cellFault: fault });
        },
      );
    }

    await t.step("a parent whose copy is not being deleted refuses the objects", async () => {
      const name = "refused";
      const namespace = `capi-${name}`;
      await createFixture(planes.childClient, namespace, clusterFixture(name, namespace));
      await createLatticeCluster(planes.childClient, name);
      const link = wire(planes, { name, allowed: false });
      await link.command();
      await link.idle();
      assert.deepEqual(Object.keys(await snapshot(planes.parentClient, namespace)), []);
      const status = await latticeStatus(planes.childClient, name);
      assert.notEqual((status.unpivot as { phase: string }).phase, "Done");
      // The child's copies are still there and the refusal did not destroy anything.
      assert.equal(
        Object.keys(await snapshot(planes.childClient, namespace)).length,
        clusterFixture(name, namespace).length,
      );
    });
  } finally {
    await started.stop();
  }
});
