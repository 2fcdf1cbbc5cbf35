import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { derToPem, peerIdentity } from "../../lib/cell/peer_identity.ts";
import { certificateNotAfter } from "../../lib/pki/mod.ts";
import { issueAgent, testPki } from "../agent/_fixtures.ts";

function der(pem: string): Uint8Array {
  return Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");
}

Deno.test("peer identity: the natively parsed fields give the cluster name and expiry", async () => {
  const pki = await testPki();
  const creds = await issueAgent(pki, "child-a");
  const raw = der(creds.certPem);
  assert.equal(derToPem(raw), creds.certPem.endsWith("\n") ? creds.certPem : creds.certPem + "\n");
  const notAfter = certificateNotAfter(creds.certPem);
  const fields = {
    raw,
    subject: { CN: "child-a" },
    subjectaltname: "DNS:child-a, URI:lattice://cluster/child-a",
    valid_to: notAfter.toUTCString().replace(/^\w+, /, ""),
  };
  const peer = peerIdentity(fields);
  assert.equal(peer.identity, "child-a");
  assert.equal(peer.notAfter.getTime(), notAfter.getTime());
});

Deno.test("peer identity: anything ambiguous is decided by the full parse", async () => {
  const pki = await testPki();
  const creds = await issueAgent(pki, "child-b");
  const raw = der(creds.certPem);
  // Fields that lie (another CN) are never trusted alone when they do not fit: the full
  // parse of the DER decides, and it says child-b.
  for (
    const fields of [
      { raw },
      { raw, subject: { CN: ["x", "y"] }, subjectaltname: "DNS:x" },
      { raw, subject: { CN: "x", O: "org" }, subjectaltname: "DNS:x" },
      { raw, subject: { CN: "x" }, subjectaltname: 'DNS:"x, y"' },
      { raw, subject: { CN: "x" }, subjectaltname: "DNS:y" },
      { raw, subject: { CN: "x" }, subjectaltname: "DNS:x", valid_to: "never" },
    ]
  ) {
    assert.equal(peerIdentity(fields).identity, "child-b");
  }
});

Deno.test("peer identity: no certificate is refused", () => {
  assert.throws(() => peerIdentity(undefined), /no client certificate/);
  assert.throws(() => peerIdentity({ raw: new Uint8Array() }), /no client certificate/);
});
