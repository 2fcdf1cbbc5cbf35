/**
 * Dialing a cell by IP address (spec.cell.host: 127.0.0.1): the agent connects when the
 * cell's certificate carries the IP SAN, and refuses a certificate of the same CA that
 * carries only DNS names or another IP.
 */
import assert from "node:assert/strict";
import { AgentClient } from "../../lib/agent/mod.ts";
import { canonicalIp, hostOf, ipIdentityCheck } from "../../lib/agent/ip_identity.ts";
import { openChannel } from "../../lib/agent/channel.ts";
import { createCa, issueServerCert } from "../../lib/pki/mod.ts";
import { issueAgent, startCell, testPki } from "./_fixtures.ts";

const pki = await testPki();

async function dial(serverCert: { certPem: string; keyPem: string }, name: string) {
  const cell = await startCell({ ...pki, serverCert });
  const agent = new AgentClient({
    address: `127.0.0.1:${cell.server.port}`,
    clusterName: name,
    credentials: await issueAgent(pki, name),
    backoff: { initialMs: 50, maxMs: 200 },
  });
  return { cell, agent };
}

Deno.test("an agent dials the cell's IP and checks it against the certificate's IP SAN", async () => {
  const serverCert = await issueServerCert(pki.ca, {
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
  });
  const { cell, agent } = await dial(serverCert, "by-ip");
  try {
    const connected = new Promise<void>((resolve) =>
      agent.subscribe((e) => {
        if (e.type === "connected") resolve();
      })
    );
    agent.start();
    await connected;
    assert.equal(agent.connected, true);
    assert.ok(cell.registry.get("by-ip"), "the cell registered the stream");
  } finally {
    await agent.stop();
    await cell.close();
  }
});

const otherCa = await createCa({ commonName: "another-cell" });

for (
  const [what, ipAddresses, ca, refusal] of [
    ["without any IP SAN", undefined, pki.ca, /Cannot verify the cell at 127\.0\.0\.1/],
    ["naming another IP", ["127.0.0.2"], pki.ca, /Cannot verify the cell at 127\.0\.0\.1/],
    ["of another CA, with the right IP", ["127.0.0.1"], otherCa, /unable to get local issuer/],
  ] as const
) {
  Deno.test(`a cell certificate ${what} is refused when dialled by IP`, async () => {
    const serverCert = await issueServerCert(ca, {
      dnsNames: ["localhost"],
      ipAddresses: ipAddresses ? [...ipAddresses] : undefined,
    });
    const { cell, agent } = await dial(serverCert, "refused");
    const errors: string[] = [];
    agent.subscribe((e) => {
      if (e.type === "disconnected") errors.push(e.error ?? "");
    });
    try {
      agent.start();
      // Several attempts fail; none may connect.
      const deadline = Date.now() + 30_000;
      while (errors.length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(errors.length >= 2, "the agent kept failing to connect");
      assert.equal(agent.connected, false);
      assert.ok(errors.some((e) => refusal.test(e)), errors[0]);
      assert.equal(cell.registry.get("refused"), undefined, "no stream reached the cell");
    } finally {
      await agent.stop();
      await cell.close();
    }
  });
}

Deno.test("the IP identity check names what the certificate carries", async () => {
  const only = await issueServerCert(pki.ca, { dnsNames: ["localhost"], ipAddresses: ["::1"] });
  const der = new Uint8Array(
    atob(only.certPem.replace(/-----[^-]+-----|\s/g, "")).split("").map((c) => c.charCodeAt(0)),
  );
  assert.equal(ipIdentityCheck("0:0:0:0:0:0:0:1")("localhost", { raw: der }), undefined);
  assert.match(
    String(ipIdentityCheck("127.0.0.1")("localhost", { raw: der })),
    /certificate names only 0:0:0:0:0:0:0:1/,
  );
  assert.match(String(ipIdentityCheck("127.0.0.1")("localhost", {})), /no certificate/);
  assert.match(String(ipIdentityCheck("nope")("localhost", { raw: der })), /not an IP/);
});

Deno.test("IP addresses compare in one spelling; hosts come out of addresses", () => {
  assert.equal(canonicalIp("::1"), "0:0:0:0:0:0:0:1");
  assert.equal(canonicalIp("fd00::0:1"), "fd00:0:0:0:0:0:0:1");
  assert.equal(canonicalIp("::ffff:127.0.0.1"), "0:0:0:0:0:ffff:7f00:1");
  assert.equal(canonicalIp("127.0.0.1"), "127.0.0.1");
  assert.equal(canonicalIp("cell.example.com"), undefined);
  assert.equal(hostOf("[::1]:443"), "::1");
  assert.equal(hostOf("127.0.0.1:443"), "127.0.0.1");
  assert.throws(() => openChannel("no-port", { caPem: "", certPem: "", keyPem: "" }), /host:port/);
});
