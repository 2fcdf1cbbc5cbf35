import "reflect-metadata";
import assert from "node:assert/strict";
import {
  Pkcs10CertificateRequestGenerator,
  SubjectAlternativeNameExtension,
  X509CertificateGenerator,
} from "@peculiar/x509";
import {
  certificateIdentity,
  certificateNotAfter,
  createCa,
  generateKeyPair,
  parseCsr,
  signClientCsr,
  verifyCertificate,
} from "../../lib/pki/mod.ts";

const ca = await createCa({ commonName: "algorithms-test-ca" });

async function csrSignedWith(hash: string): Promise<string> {
  const { keys } = await generateKeyPair();
  const csr = await Pkcs10CertificateRequestGenerator.create({
    name: "CN=east",
    keys,
    signingAlgorithm: { name: "ECDSA", hash },
  });
  return csr.toString("pem");
}

Deno.test("CSRs signed with anything but ECDSA/SHA-256 are refused, renewals included", async () => {
  for (const hash of ["SHA-1", "SHA-384", "SHA-512"]) {
    const pem = await csrSignedWith(hash);
    await assert.rejects(
      parseCsr(pem),
      new RegExp(`signed with ECDSA/${hash}, accepted: ECDSA/SHA-256`),
    );
    // signClientCsr is what the agent server's renewal signs with.
    await assert.rejects(signClientCsr(ca, pem, { identity: "east" }), /signed with ECDSA\//);
  }
  assert.equal((await parseCsr(await csrSignedWith("SHA-256"))).commonName, "east");
});

Deno.test("certificates signed with SHA-1 are refused wherever they are read", async () => {
  const { keys } = await generateKeyPair();
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=east",
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-1" },
    extensions: [new SubjectAlternativeNameExtension([{ type: "dns", value: "east" }])],
  });
  const pem = cert.toString("pem");
  assert.throws(() => certificateIdentity(pem), /signed with ECDSA\/SHA-1/);
  assert.throws(() => certificateNotAfter(pem), /signed with ECDSA\/SHA-1/);
  await assert.rejects(verifyCertificate(pem, pem), /signed with ECDSA\/SHA-1/);
  // A CA signed with SHA-1 signs nothing.
  const weakCa = { certPem: pem, keyPem: ca.keyPem };
  const { keys: other } = await generateKeyPair();
  const csr = await Pkcs10CertificateRequestGenerator.create({
    name: "CN=x",
    keys: other,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
  });
  await assert.rejects(
    signClientCsr(weakCa, csr.toString("pem"), { identity: "x" }),
    /signed with ECDSA\/SHA-1/,
  );
});
