import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { CommandDispatcher, type CommandHandlers } from "../../lib/agent/mod.ts";
import { silentLogger } from "../../lib/log/mod.ts";
import type { CellCommand } from "../../lib/proto/lattice/agent/v1/agent.ts";

const ctx = {
  clusterName: "c1",
  signal: new AbortController().signal,
  send: () => {},
  logger: silentLogger,
};

Deno.test("the dispatcher acks success, errors, unknown and unhandled commands", async () => {
  const handlers: CommandHandlers = {
    reconcile: () => {},
    bootstrap: () => {
      throw new Error("Cannot bootstrap: no manifests");
    },
    pivotBatch: (batch) => ({
      pivot: {
        pivotId: batch.pivotId,
        batchIndex: batch.batchIndex,
        nextBatchIndex: 1,
        objectsReceived: 2,
      },
    }),
  };
  const d = new CommandDispatcher(handlers);
  const run = (command: CellCommand["command"], commandId: string) =>
    d.dispatch({ command, commandId }, ctx);
  assert.deepEqual(await run({ $case: "reconcile", value: {} }, "1"), {
    commandId: "1",
    ok: true,
    error: "",
    pivot: undefined,
  });
  assert.deepEqual(
    await run({ $case: "bootstrap", value: { fluxManifests: Buffer.alloc(0) } }, "2"),
    {
      commandId: "2",
      ok: false,
      error: "Cannot bootstrap: no manifests",
    },
  );
  const unhandled = await run({ $case: "upgradeFlux", value: { version: "2", force: true } }, "3");
  assert.equal(unhandled?.ok, false);
  assert.match(unhandled?.error ?? "", /no handler for upgradeFlux/);
  const unknown = await run(undefined, "4");
  assert.match(unknown?.error ?? "", /unknown command type/);
  const batch = await run({
    $case: "pivotBatch",
    value: {
      pivotId: "p",
      batchIndex: 0,
      final: false,
      clusterName: "c",
      namespace: "capi-c",
      entries: [],
    },
  }, "5");
  assert.equal(batch?.pivot?.nextBatchIndex, 1);
  // Messages without an id are run but not acknowledged.
  assert.equal(await run({ $case: "reconcile", value: {} }, ""), undefined);
});

Deno.test("a command re-sent with the same id is answered again, not applied twice", async () => {
  let applied = 0;
  const d = new CommandDispatcher({ reconcile: () => void applied++ }, { rememberedIds: 2 });
  const send = (id: string) =>
    d.dispatch({ command: { $case: "reconcile", value: {} }, commandId: id }, ctx);
  const [a, b] = await Promise.all([send("x"), send("x")]);
  assert.deepEqual(a, b);
  assert.equal(applied, 1);
  await send("y");
  await send("z"); // "x" falls out of the remembered window
  await send("x");
  assert.equal(applied, 4);
});
