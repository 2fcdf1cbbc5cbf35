import "reflect-metadata";
import assert from "node:assert/strict";
import { X509Certificate } from "@peculiar/x509";
import {
  certificateFingerprint,
  certificateIdentity,
  certificateNotAfter,
  createCa,
  createCsr,
  generateKeyPair,
  issueServerCert,
  parseCsr,
  signClientCsr,
  verifyCertificate,
} from "../../lib/pki/mod.ts";

const NOW = new Date("2026-01-01T00:00:00Z");
const DAY = 24 * 60 * 60 * 1000;

Deno.test("createCa makes a self-signed P-256 CA that signs leaves only", async () => {
  const ca = await createCa({ commonName: "lattice-ca-root", now: NOW });
  const cert = new X509Certificate(ca.certPem);
  assert.equal(cert.subject, "CN=lattice-ca-root");
  assert.equal(cert.issuer, cert.subject);
  assert.equal((cert.publicKey.algorithm as EcKeyAlgorithm).namedCurve, "P-256");
  assert.equal(cert.signatureAlgorithm.hash.name, "SHA-256");
  assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----/);
  assert.equal(certificateNotAfter(ca.certPem).getTime(), NOW.getTime() + 3650 * DAY);
  assert.ok(await verifyCertificate(ca.certPem, ca.certPem, { now: NOW }));
});

Deno.test("a client certificate from a CSR chains to the CA and carries the identity", async () => {
  const ca = await createCa({ commonName: "ca", now: NOW });
  const { keys, privateKeyPem } = await generateKeyPair();
  assert.match(privateKeyPem, /PRIVATE KEY/);
  const csr = await createCsr(keys, { commonName: "east-1" });
  assert.equal((await parseCsr(csr)).commonName, "east-1");
  const certPem = await signClientCsr(ca, csr, { identity: "east-1", now: NOW });
  assert.equal(certificateIdentity(certPem), "east-1");
  assert.ok(await verifyCertificate(ca.certPem, certPem, { now: NOW }));
  // Default validity is short (30 days) so agents rotate.
  assert.equal(certificateNotAfter(certPem).getTime(), NOW.getTime() + 30 * DAY);
  const cert = new X509Certificate(certPem);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  assert.deepEqual(new Uint8Array(cert.publicKey.rawData), spki);
  assert.match(await certificateFingerprint(certPem), /^[0-9a-f]{64}$/);
});

Deno.test("the identity comes from the signer, not from the CSR", async () => {
  const ca = await createCa({ commonName: "ca", now: NOW });
  const { keys } = await generateKeyPair();
  const csr = await createCsr(keys, { commonName: "someone-else" });
  const certPem = await signClientCsr(ca, csr, { identity: "west-2", now: NOW });
  assert.equal(certificateIdentity(certPem), "west-2");
});

Deno.test("expired and foreign certificates do not verify", async () => {
  const ca = await createCa({ commonName: "ca", now: NOW });
  const other = await createCa({ commonName: "ca", now: NOW });
  const { keys } = await generateKeyPair();
  const certPem = await signClientCsr(ca, await createCsr(keys, { commonName: "a" }), {
    identity: "a",
    validityDays: 1,
    now: NOW,
  });
  assert.ok(await verifyCertificate(ca.certPem, certPem, { now: NOW }));
  assert.equal(
    await verifyCertificate(ca.certPem, certPem, { now: new Date(NOW.getTime() + 2 * DAY) }),
    false,
  );
  // Same subject name, different key: must not verify.
  assert.equal(await verifyCertificate(other.certPem, certPem, { now: NOW }), false);
});

Deno.test("a leaf never outlives its CA", async () => {
  const ca = await createCa({ commonName: "ca", validityDays: 10, now: NOW });
  const { keys } = await generateKeyPair();
  const certPem = await signClientCsr(ca, await createCsr(keys, { commonName: "a" }), {
    identity: "a",
    now: NOW,
  });
  assert.equal(certificateNotAfter(certPem).getTime(), NOW.getTime() + 10 * DAY);
});

Deno.test("parseCsr refuses garbage, tampered and non-P-256 CSRs", async () => {
  await assert.rejects(parseCsr("not a csr"), /Cannot parse CSR/);
  await assert.rejects(parseCsr("x".repeat(20_000)), /Cannot parse CSR: missing or larger/);
  const { keys } = await generateKeyPair();
  // Flip the last byte of the signature (inside the DER INTEGER s, so still parseable).
  const { Pkcs10CertificateRequest, PemConverter } = await import("@peculiar/x509");
  const der = new Uint8Array(
    new Pkcs10CertificateRequest(await createCsr(keys, { commonName: "a" })).rawData,
  );
  der[der.length - 1] ^= 0x01;
  await assert.rejects(
    parseCsr(PemConverter.encode(der, "CERTIFICATE REQUEST")),
    /signature does not match/,
  );
  const rsa = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const { Pkcs10CertificateRequestGenerator } = await import("@peculiar/x509");
  const rsaCsr = await Pkcs10CertificateRequestGenerator.create({
    name: "CN=a",
    keys: rsa,
    signingAlgorithm: { name: "RSASSA-PKCS1-v1_5" },
  });
  await assert.rejects(parseCsr(rsaCsr.toString("pem")), /want ECDSA P-256/);
});

Deno.test("certificateIdentity refuses a certificate whose CN is not a SAN", async () => {
  const ca = await createCa({ commonName: "ca", now: NOW });
  const server = await issueServerCert(ca, { dnsNames: ["cell.example"], now: NOW });
  assert.equal(certificateIdentity(server.certPem), "cell.example");
  assert.throws(() => certificateIdentity(ca.certPem), /not among its DNS SANs/);
  assert.throws(() => certificateIdentity("garbage"), /Cannot read certificate identity/);
});

Deno.test("issued certificates work for real mTLS in Deno", async () => {
  const ca = await createCa({ commonName: "ca" });
  const server = await issueServerCert(ca, { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  const { keys, privateKeyPem } = await generateKeyPair();
  const clientCert = await signClientCsr(ca, await createCsr(keys, { commonName: "c1" }), {
    identity: "c1",
  });
  const httpServer = Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    cert: server.certPem,
    key: server.keyPem,
    onListen: () => {},
  }, () => new Response("ok"));
  const client = Deno.createHttpClient({
    caCerts: [ca.certPem],
    cert: clientCert,
    key: privateKeyPem,
  });
  try {
    const res = await fetch(`https://localhost:${httpServer.addr.port}/`, { client });
    assert.equal(await res.text(), "ok");
  } finally {
    client.close();
    await httpServer.shutdown();
  }
});

Deno.test("issued certificates work for mTLS over node:tls (what gRPC uses)", async () => {
  const tls = await import("node:tls");
  const ca = await createCa({ commonName: "ca" });
  const server = await issueServerCert(ca, { dnsNames: ["localhost"] });
  const { keys, privateKeyPem } = await generateKeyPair();
  const clientCert = await signClientCsr(ca, await createCsr(keys, { commonName: "c1" }), {
    identity: "c1",
  });
  const peer = Promise.withResolvers<string>();
  const srv = tls.createServer({
    key: server.keyPem,
    cert: server.certPem,
    ca: [ca.certPem],
    requestCert: true,
    rejectUnauthorized: true,
  }, (socket) => {
    peer.resolve(socket.getPeerCertificate().subject?.CN as string);
    socket.end("hi");
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as { port: number }).port;
  const data = Promise.withResolvers<string>();
  const conn = tls.connect({
    host: "localhost",
    port,
    servername: "localhost",
    ca: [ca.certPem],
    key: privateKeyPem,
    cert: clientCert,
  });
  let text = "";
  conn.on("data", (d: Uint8Array) => text += new TextDecoder().decode(d));
  conn.on("end", () => data.resolve(text));
  conn.on("error", (e: Error) => data.reject(e));
  try {
    assert.equal(await data.promise, "hi");
    assert.equal(await peer.promise, "c1");
  } finally {
    conn.destroy();
    await new Promise((resolve) => srv.close(resolve));
  }
});
