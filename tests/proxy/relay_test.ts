import assert from "node:assert/strict";
import type { KubernetesStreamFrame } from "../../lib/proto/lattice/agent/v1/agent.ts";
import { FrameRelay, relayStats } from "../../lib/proxy/relay.ts";
import {
  closePayload,
  encodeFrame,
  FrameDecoder,
  OP,
  parseClose,
} from "../../lib/proxy/ws_codec.ts";

Deno.test("relay: a sender waits once a window is unacknowledged, and resumes on grants", async () => {
  const sent: KubernetesStreamFrame[] = [];
  const relay = new FrameRelay("r", (f) => sent.push(f), {
    message: () => Promise.resolve(),
    close: () => {},
  }, 1000);
  await relay.send(2, new Uint8Array(600));
  await relay.send(2, new Uint8Array(600));
  let third = false;
  const pending = relay.send(2, new Uint8Array(10)).then(() => third = true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(third, false, "the third message waits: 1200 bytes unacknowledged");
  relay.deliver({ ...sent[0], opcode: 0, data: new Uint8Array() as never, windowBytes: 600 });
  await pending;
  assert.equal(third, true);
  assert.equal(sent.filter((f) => f.opcode === 2).length, 3);
  relay.close();
});

Deno.test("relay: the receiver grants bytes back only once its sink took them", async () => {
  const sent: KubernetesStreamFrame[] = [];
  let release = () => {};
  const relay = new FrameRelay("r", (f) => sent.push(f), {
    message: () => new Promise<void>((r) => release = r),
    close: () => {},
  }, 1000);
  const frame = (n: number): KubernetesStreamFrame => ({
    requestId: "r",
    opcode: 2,
    data: new Uint8Array(n) as never,
    closeCode: 0,
    closeReason: "",
    windowBytes: 0,
  });
  relay.deliver(frame(100));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(sent.length, 0, "no grant while the sink holds the message");
  release();
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(sent.map((f) => f.windowBytes), [100]);
  relay.close();
});

Deno.test("relay: a close from the peer closes the sink, ends the relay and frees it", () => {
  const before = relayStats.open;
  let closed: [number, string] | undefined;
  const relay = new FrameRelay("r", () => {}, {
    message: () => Promise.resolve(),
    close: (code, reason) => closed = [code, reason],
  });
  assert.equal(relayStats.open, before + 1);
  relay.deliver({
    requestId: "r",
    opcode: OP.close,
    data: new Uint8Array() as never,
    closeCode: 4001,
    closeReason: "bye",
    windowBytes: 0,
  });
  assert.deepEqual(closed, [4001, "bye"]);
  assert.equal(relay.ended, true);
  assert.equal(relayStats.open, before);
});

Deno.test("ws codec: masked and unmasked frames, all length forms, fragments", () => {
  for (const size of [0, 5, 125, 126, 70_000]) {
    const payload = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536)));
    const data = size > 65536 ? new Uint8Array(size).fill(7) : payload;
    for (const mask of [true, false]) {
      const decoder = new FrameDecoder();
      const bytes = encodeFrame(OP.binary, data, mask);
      const cut = Math.min(3, bytes.length - 1);
      decoder.push(bytes.subarray(0, cut));
      assert.equal(decoder.next(), undefined);
      decoder.push(bytes.subarray(cut));
      const message = decoder.next()!;
      assert.equal(message.opcode, OP.binary);
      assert.deepEqual(message.data, data);
    }
  }
  const decoder = new FrameDecoder();
  const first = encodeFrame(OP.text, new TextEncoder().encode("ab"), false);
  first[0] &= 0x7f; // not final
  const second = encodeFrame(OP.continuation, new TextEncoder().encode("cd"), false);
  decoder.push(first);
  decoder.push(second);
  assert.equal(new TextDecoder().decode(decoder.next()!.data), "abcd");
  assert.deepEqual(parseClose(closePayload(4000, "x")), { code: 4000, reason: "x" });
});
