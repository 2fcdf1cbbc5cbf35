/**
 * StreamTransport and pivotHandlers through a real AgentRegistry and CommandDispatcher,
 * with a fake stream between them: lost acks, dropped streams, failures and retries.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { CommandDispatcher } from "../../lib/agent/mod.ts";
import { AgentRegistry, type AgentSession } from "../../lib/cell/registry.ts";
import { silentLogger } from "../../lib/log/mod.ts";
import type { AgentMessage, CellCommand } from "../../lib/proto/lattice/agent/v1/agent.ts";
import {
  type PivotAbortRequest,
  type PivotBatch,
  type PivotCompleteRequest,
  pivotHandlers,
  type PivotTargetApi,
  StreamTransport,
} from "../../lib/pivot/mod.ts";
import { clusterFixture, withFakeUids } from "./fixtures.ts";

const CLUSTER = "child";

/** Records what reaches the target; `failures` makes the next calls throw. */
class RecordingTarget implements PivotTargetApi {
  batches: PivotBatch[] = [];
  completes: PivotCompleteRequest[] = [];
  aborts: PivotAbortRequest[] = [];
  failures = 0;

  #maybeFail(): void {
    if (this.failures > 0) {
      this.failures--;
      throw new Error("Cannot create objects: injected");
    }
  }

  applyBatch(batch: PivotBatch) {
    this.#maybeFail();
    this.batches.push(batch);
    return Promise.resolve({ pivotId: batch.pivotId, index: batch.index, created: 1, existing: 0 });
  }

  complete(request: PivotCompleteRequest) {
    this.#maybeFail();
    this.completes.push(request);
    return Promise.resolve({ pivotId: request.pivotId, unpaused: 1 });
  }

  abort(request: PivotAbortRequest) {
    this.#maybeFail();
    this.aborts.push(request);
    return Promise.resolve({ pivotId: request.pivotId, deleted: 1 });
  }
}

/**
 * One agent (dispatcher + pivot handlers) reached through fake streams. `dropAcks` loses the
 * next N acks (the agent applied the command, the answer never arrived).
 */
class FakeAgent {
  readonly target = new RecordingTarget();
  readonly dispatcher = new CommandDispatcher(pivotHandlers(this.target));
  readonly received: CellCommand[] = [];
  readonly sent: AgentMessage[] = [];
  dropAcks = 0;
  #session?: AgentSession;

  constructor(readonly registry: AgentRegistry) {}

  /** Attaches a new stream (a (re)connect); returns its session. */
  connect(): AgentSession {
    const session = this.registry.attach(CLUSTER, {
      // Asynchronous like a socket (attach re-sends pending commands before it returns).
      write: (command) => queueMicrotask(() => this.#deliver(session, command)),
      close: () => {},
    });
    this.#session = session;
    return session;
  }

  disconnect(): void {
    if (this.#session) this.registry.detach(this.#session, "test");
    this.#session = undefined;
  }

  #deliver(session: AgentSession, command: CellCommand): void {
    this.received.push(command);
    const ctx = {
      clusterName: CLUSTER,
      signal: new AbortController().signal,
      send: (payload: AgentMessage["payload"]) => {
        const message = { clusterName: CLUSTER, payload };
        this.sent.push(message);
        if (this.#session === session) this.registry.receive(session, message);
      },
      logger: silentLogger,
    };
    this.dispatcher.dispatch(command, ctx).then((ack) => {
      if (!ack) return;
      if (this.dropAcks > 0) {
        this.dropAcks--;
        return;
      }
      ctx.send({ $case: "ack", value: ack });
    });
  }
}

function batchOf(index: number, total = 2): PivotBatch {
  const objects = withFakeUids(clusterFixture("c1", "capi-c1", { workers: 1 }));
  return {
    pivotId: "p1",
    clusterName: "c1",
    namespace: "capi-c1",
    index,
    total,
    entries: objects.map((object, level) => ({ level, object })),
  };
}

function idsOf(agent: FakeAgent, $case: string): string[] {
  return agent.received.filter((c) => c.command?.$case === $case).map((c) => c.commandId);
}

const tick = () => new Promise((r) => setTimeout(r, 1));

Deno.test("batches, unpause and abort reach the target through the registry", async () => {
  const registry = new AgentRegistry();
  const agent = new FakeAgent(registry);
  agent.connect();
  const transport = new StreamTransport(registry, CLUSTER);
  try {
    const batch = batchOf(0);
    const ack = await transport.sendBatch(batch);
    assert.deepEqual(ack, {
      pivotId: "p1",
      index: 0,
      created: batch.entries.length,
      existing: 0,
    });
    assert.deepEqual(agent.target.batches, [batch], "decoded batch equals the one sent");
    const wire = agent.received[0].command;
    assert.equal(wire?.$case, "pivotBatch");
    if (wire?.$case === "pivotBatch") {
      assert.equal(wire.value.final, false);
      assert.equal(wire.value.totalBatches, 2);
    }
    await transport.sendBatch(batchOf(1));
    const progress = await registry.sendCommand(CLUSTER, {
      $case: "pivot",
      value: {
        clusterName: "c1",
        capiNamespace: "capi-c1",
        capiResources: Buffer.alloc(0),
        pivotId: "p1",
        totalBatches: 0,
        totalObjects: 0,
      },
    });
    assert.deepEqual(progress.pivot, {
      pivotId: "p1",
      batchIndex: undefined,
      nextBatchIndex: 2,
      objectsReceived: 2 * batch.entries.length,
    });

    const request = { pivotId: "p1", clusterName: "c1", namespace: "capi-c1" };
    assert.deepEqual(await transport.complete(request), { pivotId: "p1", unpaused: 0 });
    assert.deepEqual(agent.target.completes, [request]);
    await tick();
    const kinds = agent.sent.map((m) => m.payload?.$case);
    assert.equal(kinds.at(-1), "pivotComplete", "PivotComplete follows the ack");
    assert.deepEqual(agent.sent.at(-1)?.payload?.value, {
      success: true,
      errorMessage: "",
      pivotId: "p1",
    });

    await transport.abort({ ...request, reason: "timed out" });
    assert.deepEqual(agent.target.aborts, [{ ...request, reason: "timed out" }]);
  } finally {
    registry.close();
  }
});

Deno.test("a lost ack is retried under the same id and applied once", async () => {
  const registry = new AgentRegistry();
  const agent = new FakeAgent(registry);
  agent.connect();
  const transport = new StreamTransport(registry, CLUSTER, { timeoutMs: 50 });
  try {
    agent.dropAcks = 1;
    await assert.rejects(
      transport.sendBatch(batchOf(0)),
      /Cannot send pivot batch 0 on child: .*no acknowledgement within 50 ms/,
    );
    assert.equal(agent.target.batches.length, 1, "the agent applied it");
    const ack = await transport.sendBatch(batchOf(0));
    assert.equal(ack.index, 0);
    assert.equal(agent.target.batches.length, 1, "not applied twice");
    const [first, second] = idsOf(agent, "pivotBatch");
    assert.equal(first, second);
  } finally {
    registry.close();
  }
});

Deno.test("a stream that drops before the ack is re-sent on reconnect", async () => {
  const registry = new AgentRegistry();
  const agent = new FakeAgent(registry);
  agent.connect();
  const transport = new StreamTransport(registry, CLUSTER);
  try {
    agent.dropAcks = 1;
    const pending = transport.sendBatch(batchOf(0));
    await tick();
    agent.disconnect();
    agent.connect();
    assert.equal((await pending).index, 0);
    assert.equal(agent.target.batches.length, 1, "applied once across both streams");
    const ids = idsOf(agent, "pivotBatch");
    assert.equal(ids.length, 2);
    assert.equal(ids[0], ids[1]);
  } finally {
    registry.close();
  }
});

Deno.test("an agent that is not connected fails the call at once", async () => {
  const registry = new AgentRegistry();
  const transport = new StreamTransport(registry, CLUSTER);
  try {
    await assert.rejects(
      transport.sendBatch(batchOf(0)),
      /Cannot send pivot batch 0 on child: .*agent not connected/,
    );
    const agent = new FakeAgent(registry);
    agent.connect();
    assert.equal((await transport.sendBatch(batchOf(0))).index, 0);
  } finally {
    registry.close();
  }
});

Deno.test("a failed command is retried under a new id", async () => {
  const registry = new AgentRegistry();
  const agent = new FakeAgent(registry);
  agent.connect();
  const transport = new StreamTransport(registry, CLUSTER);
  const request = { pivotId: "p1", clusterName: "c1", namespace: "capi-c1" };
  try {
    agent.target.failures = 1;
    const error = await transport.sendBatch(batchOf(0)).catch((e) => e);
    assert.match(error.message, /Cannot send pivot batch 0 on child: .*injected/);
    assert.equal(error.cause.name, "CommandFailedError");
    await transport.sendBatch(batchOf(0));
    const ids = idsOf(agent, "pivotBatch");
    assert.notEqual(ids[0], ids[1]);
    assert.equal(agent.target.batches.length, 1);

    agent.target.failures = 1;
    await assert.rejects(transport.complete(request), /unpause .*injected/);
    await tick();
    assert.deepEqual(agent.sent.at(-1)?.payload?.value, {
      success: false,
      errorMessage: "Cannot create objects: injected",
      pivotId: "p1",
    });
    await transport.complete(request);
    assert.deepEqual(agent.target.completes, [request]);
  } finally {
    registry.close();
  }
});

Deno.test("the agent refuses unpause or abort of a pivot it does not know", async () => {
  const registry = new AgentRegistry();
  const agent = new FakeAgent(registry);
  agent.connect();
  try {
    await assert.rejects(
      registry.sendCommand(CLUSTER, { $case: "pivotUnpause", value: { pivotId: "px" } }),
      /Cannot unpause pivot px: this agent does not know its cluster/,
    );
    await assert.rejects(
      registry.sendCommand(CLUSTER, { $case: "pivotAbort", value: { pivotId: "px", reason: "" } }),
      /Cannot abort pivot px/,
    );
    await assert.rejects(
      registry.sendCommand(CLUSTER, {
        $case: "pivot",
        value: {
          clusterName: "c1",
          capiNamespace: "capi-c1",
          capiResources: Buffer.from("[]"),
          pivotId: "px",
          totalBatches: 0,
          totalObjects: 0,
        },
      }),
      /inline capi_resources are not supported/,
    );
    await assert.rejects(
      registry.sendCommand(CLUSTER, {
        $case: "pivotBatch",
        value: {
          pivotId: "px",
          batchIndex: 0,
          final: true,
          clusterName: "alpha",
          namespace: "capi-alpha",
          entries: [{ level: 0, objectJson: Buffer.from("nope") }],
        },
      }),
      /Cannot decode pivot batch 0: entry 0 is not JSON/,
    );
    assert.deepEqual(agent.target.batches, []);
    assert.deepEqual(agent.target.completes, []);
    assert.deepEqual(agent.target.aborts, []);
    await tick();
  } finally {
    registry.close();
  }
});
