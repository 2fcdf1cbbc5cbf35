/**
 * The generated protocol code: messages round-trip, and the field numbers of the spec's
 * draft (shared/spec/protocol.md) never change — a renumbered field breaks every deployed
 * agent, so the wire tags are pinned here.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import {
  AgentMessage,
  AgentState,
  CellCommand,
  LatticeAgentService,
} from "../../lib/proto/lattice/agent/v1/agent.ts";

/** Field numbers of the top-level fields present in an encoded message. */
function fieldNumbers(bytes: Uint8Array): number[] {
  const reader = new BinaryReader(bytes);
  const fields: number[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    fields.push(field);
    reader.skip(wireType);
  }
  return fields;
}

const AGENT_FIELDS: [NonNullable<AgentMessage["payload"]>, number][] = [
  [{ $case: "ready", value: { agentVersion: "1", kubernetesVersion: "v1.36.3" } }, 2],
  [{ $case: "bootstrapComplete", value: {} }, 3],
  [{ $case: "pivotComplete", value: { success: true, errorMessage: "", pivotId: "p" } }, 4],
  [{
    $case: "heartbeat",
    value: {
      state: AgentState.AGENT_STATE_READY,
      sequence: 1,
      specHash: "",
      registrationsHash: "",
    },
  }, 5],
  [{ $case: "clusterHealth", value: { readyNodes: 1, totalNodes: 2, conditions: [] } }, 6],
  [{
    $case: "k8sResponse",
    value: { requestId: "r", status: 200, headers: {}, body: Buffer.from("{}"), endOfStream: true },
  }, 7],
  [{
    $case: "fluxStatus",
    value: {
      version: "2.2.0",
      healthy: true,
      lastSync: "",
      controllerStatus: {},
      errors: [],
      installed: false,
      suspended: false,
      lastAppliedRevision: "",
      repoFluxVersion: "",
      repoFluxInterval: "",
    },
  }, 10],
  [{ $case: "ack", value: { commandId: "c", ok: true, error: "" } }, 11],
  [{ $case: "certificateRenewal", value: { requestId: "r", csrPem: "pem" } }, 12],
];

Deno.test("AgentMessage payloads keep their field numbers and round-trip", () => {
  for (const [payload, field] of AGENT_FIELDS) {
    const message: AgentMessage = { clusterName: "c1", payload };
    const bytes = AgentMessage.encode(message).finish();
    assert.deepEqual(fieldNumbers(bytes), [1, field], payload.$case);
    assert.deepEqual(AgentMessage.decode(bytes), AgentMessage.fromPartial(message));
  }
});

const CELL_FIELDS: [NonNullable<CellCommand["command"]>, number][] = [
  [{ $case: "bootstrap", value: { fluxManifests: Buffer.from("x") } }, 1],
  [{
    $case: "pivot",
    value: {
      clusterName: "c1",
      capiNamespace: "capi-c1",
      capiResources: Buffer.alloc(0),
      pivotId: "p",
      totalBatches: 3,
      totalObjects: 40,
    },
  }, 2],
  [{ $case: "reconcile", value: {} }, 3],
  [{ $case: "statusRequest", value: {} }, 4],
  [{
    $case: "k8sRequest",
    value: {
      requestId: "r",
      method: "GET",
      path: "/api",
      headers: { accept: "application/json" },
      body: Buffer.alloc(0),
      watch: false,
      bodyFollows: false,
      upgrade: false,
    },
  }, 5],
  [{
    $case: "installFlux",
    value: {
      version: "2.2.0",
      repoUrl: "https://example.com/r.git",
      branch: "main",
      path: "clusters/c1",
      gitCredentials: Buffer.from("k"),
      components: ["source-controller"],
      interval: "1m",
      suspend: false,
      force: false,
    },
  }, 10],
  [{ $case: "upgradeFlux", value: { version: "2.3.0", force: true } }, 11],
  [{
    $case: "pivotBatch",
    value: {
      pivotId: "p",
      batchIndex: 2,
      totalBatches: 3,
      final: true,
      clusterName: "c",
      namespace: "capi-c",
      entries: [{ level: 0, objectJson: Buffer.from("{}") }],
    },
  }, 12],
  [{ $case: "pivotUnpause", value: { pivotId: "p" } }, 13],
  [{ $case: "pivotAbort", value: { pivotId: "p", reason: "restart" } }, 14],
  [{ $case: "k8sCancel", value: { requestId: "r" } }, 15],
  [
    { $case: "certificateRenewal", value: { requestId: "r", certificatePem: "pem", error: "" } },
    16,
  ],
  [{ $case: "heartbeatAck", value: { sequence: 7 } }, 17],
];

Deno.test("CellCommand cases keep their field numbers and round-trip with the command id", () => {
  for (const [command, field] of CELL_FIELDS) {
    const message: CellCommand = { command, commandId: "id-1" };
    const bytes = CellCommand.encode(message).finish();
    assert.deepEqual(fieldNumbers(bytes).sort((a, b) => a - b), [field, 9].sort((a, b) => a - b));
    assert.deepEqual(CellCommand.decode(bytes), CellCommand.fromPartial(message));
  }
});

Deno.test("a command from a newer cell decodes with an unknown case instead of failing", () => {
  // Field 99 (length-delimited) is not in this proto: the payload is simply absent.
  const bytes = new Uint8Array([0x9a, 0x06, 0x00, 0x4a, 0x01, 0x78]);
  const decoded = CellCommand.decode(bytes);
  assert.equal(decoded.command, undefined);
  assert.equal(decoded.commandId, "x");
});

Deno.test("the service is lattice.agent.v1.LatticeAgent/Connect, bidirectional", () => {
  assert.equal(LatticeAgentService.connect.path, "/lattice.agent.v1.LatticeAgent/Connect");
  assert.equal(LatticeAgentService.connect.requestStream, true);
  assert.equal(LatticeAgentService.connect.responseStream, true);
});
