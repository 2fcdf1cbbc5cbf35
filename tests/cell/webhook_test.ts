import assert from "node:assert/strict";
import { LatticeClusterSchema } from "../../lib/api/mod.ts";
import { type BundleCluster } from "../../lib/bundle/mod.ts";
import { createWebhookApp, type WebhookOptions } from "../../lib/cell/webhook.ts";
import type { KubeObject } from "../../lib/kube/mod.ts";
import { createLogger } from "../../lib/log/mod.ts";
import {
  BootstrapTokens,
  certificateIdentity,
  createCa,
  createCsr,
  generateKeyPair,
  MemoryTokenBackend,
  verifyCertificate,
} from "../../lib/pki/mod.ts";
import { minimalClusterDocument } from "../api/fixtures.ts";

const ca = await createCa({ commonName: "test-cell-ca" });

function cluster(name: string): BundleCluster {
  const doc = LatticeClusterSchema.parse(minimalClusterDocument(name));
  return { name, spec: doc.spec };
}

interface Fixture {
  app: ReturnType<typeof createWebhookApp>;
  tokens: BootstrapTokens;
  lines: Record<string, unknown>[];
  clock: { now: number };
}

function fixture(overrides: Partial<WebhookOptions> = {}): Fixture {
  const clock = { now: Date.parse("2026-01-01T00:00:00Z") };
  const tokens = new BootstrapTokens(new MemoryTokenBackend(), { now: () => new Date(clock.now) });
  const lines: Record<string, unknown>[] = [];
  const known = new Map([["east", cluster("east")], ["west", cluster("west")]]);
  const app = createWebhookApp({
    ca,
    tokens,
    clusters: (name) => Promise.resolve(known.get(name)),
    grpcEndpoint: "cell.example:50051",
    logger: createLogger({ sink: (l) => lines.push(JSON.parse(l)) }),
    rateLimit: { burst: 1000, perMinute: 1000 },
    ...overrides,
  });
  return { app, tokens, lines, clock };
}

async function csrFor(name: string) {
  const { keys } = await generateKeyPair();
  return { keys, csr: await createCsr(keys, { commonName: name }) };
}

function register(f: Fixture, name: string, body: unknown, client = "10.0.0.1") {
  return f.app.request(`/api/clusters/${name}/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  }, { remoteAddr: { hostname: client } });
}

async function expectStatus(res: Response, code: number, reason: string) {
  const body = await res.json();
  assert.equal(res.status, code, JSON.stringify(body));
  assert.equal(body.kind, "Status");
  assert.equal(body.apiVersion, "v1");
  assert.equal(body.status, "Failure");
  assert.equal(body.code, code);
  assert.equal(body.reason, reason);
  return body as { message: string; details?: { retryAfterSeconds?: number } };
}

Deno.test("register signs the CSR and returns the bundle", async () => {
  const f = fixture();
  const { token } = await f.tokens.issue("east");
  const { csr } = await csrFor("east");
  const res = await register(f, "east", { token, csr });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(certificateIdentity(body.certificate), "east");
  assert.ok(await verifyCertificate(ca.certPem, body.certificate));
  assert.equal(body.caBundle, ca.certPem);
  assert.equal(body.grpcEndpoint, "cell.example:50051");
  const kinds = body.manifests.map((o: { kind: string }) => o.kind);
  assert.equal(kinds[0], "Namespace");
  assert.ok(kinds.includes("CustomResourceDefinition"));
  assert.ok(kinds.includes("Deployment"));
  const secret = body.manifests.at(-1);
  assert.equal(secret.kind, "Secret");
  assert.equal(secret.data["tls.key"], undefined, "the key never comes from the parent");
  const own = body.manifests.find((o: { kind: string }) => o.kind === "LatticeCluster");
  assert.equal(own.metadata.name, "east");
  assert.equal(own.status, undefined);
  assert.equal((await f.tokens.inspect("east"))?.state, "used");
  assert.equal(f.lines.length, 1);
  assert.equal(f.lines[0].outcome, "accepted");
  assert.equal(f.lines[0].cluster, "east");
  assert.ok(!JSON.stringify(f.lines).includes(token), "the token is never logged");
});

Deno.test("a wrong token and an unknown cluster get the same 401", async () => {
  const f = fixture();
  await f.tokens.issue("east");
  const wrong = await expectStatus(
    await register(f, "east", { token: "not-the-token", csr: (await csrFor("east")).csr }),
    401,
    "Unauthorized",
  );
  const unknown = await expectStatus(
    await register(f, "nowhere", { token: "x", csr: (await csrFor("nowhere")).csr }),
    401,
    "Unauthorized",
  );
  assert.equal(wrong.message, unknown.message);
  assert.deepEqual(f.lines.map((l) => l.reason), ["token-mismatch", "token-unknown"]);
  assert.equal((await f.tokens.inspect("east"))?.state, "issued");
});

Deno.test("another cluster's token is refused", async () => {
  const f = fixture();
  const { token } = await f.tokens.issue("west");
  await f.tokens.issue("east");
  await expectStatus(
    await register(f, "east", { token, csr: (await csrFor("east")).csr }),
    401,
    "Unauthorized",
  );
  assert.equal((await f.tokens.inspect("west"))?.state, "issued");
});

Deno.test("a used token is refused for another key but serves the same key again", async () => {
  const f = fixture();
  const { token } = await f.tokens.issue("east");
  const first = await csrFor("east");
  assert.equal((await register(f, "east", { token, csr: first.csr })).status, 200);
  await expectStatus(
    await register(f, "east", { token, csr: (await csrFor("east")).csr }),
    401,
    "Unauthorized",
  );
  assert.equal(f.lines[1].reason, "token-used");
  // An interrupted join retries with the key it kept: served again, nothing new burnt.
  const again = await register(f, "east", { token, csr: first.csr });
  assert.equal(again.status, 200);
  await again.body?.cancel();
  assert.equal(f.lines[2].reason, "re-registered");
  // ...but not once the window has passed.
  f.clock.now += 2 * 60 * 60 * 1000;
  await expectStatus(await register(f, "east", { token, csr: first.csr }), 401, "Unauthorized");
});

Deno.test("an expired token is refused", async () => {
  const f = fixture();
  const { token } = await f.tokens.issue("east");
  f.clock.now += 60 * 60 * 1000 + 1;
  await expectStatus(
    await register(f, "east", { token, csr: (await csrFor("east")).csr }),
    401,
    "Unauthorized",
  );
  assert.equal(f.lines[0].reason, "token-expired");
});

Deno.test("a malformed CSR and a CSR naming another cluster are 400", async () => {
  const f = fixture();
  const { token } = await f.tokens.issue("east");
  const bad = await expectStatus(
    await register(f, "east", { token, csr: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA" }),
    400,
    "BadRequest",
  );
  assert.match(bad.message, /Cannot parse CSR/);
  const other = await expectStatus(
    await register(f, "east", { token, csr: (await csrFor("west")).csr }),
    400,
    "BadRequest",
  );
  assert.match(other.message, /CN must be the cluster name east/);
  assert.deepEqual(f.lines.map((l) => l.reason), ["bad-csr", "csr-names-other-cluster"]);
  // Refusals before the token check leave it usable.
  assert.equal((await f.tokens.inspect("east"))?.state, "issued");
});

Deno.test("bad bodies are 400 and oversized bodies 413", async () => {
  const f = fixture({ maxBodyBytes: 1024 });
  await expectStatus(await register(f, "east", "{not json"), 400, "BadRequest");
  await expectStatus(await register(f, "east", { token: 1, csr: "x" }), 400, "BadRequest");
  await expectStatus(
    await register(f, "east", { token: "t", csr: "x", extra: 1 }),
    400,
    "BadRequest",
  );
  await expectStatus(await register(f, "Not_A_Name", { token: "t", csr: "x" }), 400, "BadRequest");
  await expectStatus(
    await register(f, "east", { token: "t", csr: "x".repeat(4096) }),
    413,
    "RequestEntityTooLarge",
  );
  assert.equal(f.lines.length, 5, "one audit line per attempt");
});

Deno.test("clients over the rate limit get 429 with Retry-After, others are unaffected", async () => {
  let now = 0;
  const f = fixture({ rateLimit: { burst: 2, perMinute: 6, now: () => now } });
  const body = { token: "t", csr: (await csrFor("east")).csr };
  for (let i = 0; i < 2; i++) {
    await expectStatus(await register(f, "east", body, "10.0.0.9"), 401, "Unauthorized");
  }
  const limited = await register(f, "east", body, "10.0.0.9");
  assert.equal(limited.headers.get("retry-after"), "10");
  const status = await expectStatus(limited, 429, "TooManyRequests");
  assert.equal(status.details?.retryAfterSeconds, 10);
  await expectStatus(await register(f, "east", body, "10.0.0.10"), 401, "Unauthorized");
  now += 10_000;
  await expectStatus(await register(f, "east", body, "10.0.0.9"), 401, "Unauthorized");
  assert.equal(f.lines.filter((l) => l.reason === "rate-limited").length, 1);
});

Deno.test("a failure after the lease hands the token back", async () => {
  let fail = true;
  const f = fixture({
    clusters: () =>
      fail ? Promise.reject(new Error("apiserver down")) : Promise.resolve(cluster("east")),
  });
  const { token } = await f.tokens.issue("east");
  const { csr } = await csrFor("east");
  const res = await expectStatus(await register(f, "east", { token, csr }), 500, "InternalError");
  assert.doesNotMatch(res.message, /apiserver down/, "internals stay in the log");
  assert.equal((await f.tokens.inspect("east"))?.state, "issued");
  fail = false;
  const ok = await register(f, "east", { token, csr });
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  assert.deepEqual(f.lines.filter((l) => l.audit).map((l) => l.outcome), ["failed", "accepted"]);
});

Deno.test("the cell's CNI goes into the bundle; a bad one is a 503 that keeps the token", async () => {
  let cni = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: cni, namespace: kube-system}\n";
  const f = fixture({ cniManifests: () => Promise.resolve(cni) });
  const { token } = await f.tokens.issue("east");
  const { csr } = await csrFor("east");
  const good = cni;
  cni = "kind: DaemonSet\n";
  const res = await expectStatus(
    await register(f, "east", { token, csr }),
    503,
    "ServiceUnavailable",
  );
  assert.match(
    res.message,
    /Cannot build the bundle: Cannot read the cell's lattice-cni ConfigMap \(document 1\)/,
  );
  assert.equal((await f.tokens.inspect("east"))?.state, "issued");
  cni = good;
  const ok = await register(f, "east", { token, csr });
  assert.equal(ok.status, 200);
  const names = (await ok.json()).manifests.map((o: KubeObject) => `${o.kind}/${o.metadata?.name}`);
  assert.deepEqual(names.slice(0, 3), [
    "Namespace/lattice-system",
    "DaemonSet/cni",
    "ConfigMap/lattice-cni",
  ]);
});

Deno.test("a concurrent registration gets 409 while the first holds the lease", async () => {
  const gate = Promise.withResolvers<void>();
  const entered = Promise.withResolvers<void>();
  const f = fixture({
    clusters: async () => {
      entered.resolve();
      await gate.promise;
      return cluster("east");
    },
  });
  const { token } = await f.tokens.issue("east");
  const { csr } = await csrFor("east");
  const first = register(f, "east", { token, csr });
  // The lookup runs only once the first request holds the lease.
  await entered.promise;
  assert.equal((await f.tokens.inspect("east"))?.state, "leased");
  const second = await expectStatus(await register(f, "east", { token, csr }), 409, "Conflict");
  assert.equal(second.details?.retryAfterSeconds, 5);
  gate.resolve();
  const res = await first;
  assert.equal(res.status, 200);
  await res.body?.cancel();
});

Deno.test("the binary endpoint serves the file with its checksum, or says why not", async () => {
  const none = fixture({ binary: { unavailableReason: "running from source" } });
  const missing = await expectStatus(
    await none.app.request("/api/lattice/binary"),
    503,
    "ServiceUnavailable",
  );
  assert.match(missing.message, /running from source/);
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/lattice`;
    const bytes = new Uint8Array(200_000);
    for (let i = 0; i < bytes.length; i += 50_000) {
      crypto.getRandomValues(bytes.subarray(i, i + 50_000));
    }
    await Deno.writeFile(path, bytes);
    const f = fixture({ binary: { path } });
    const res = await f.app.request("/api/lattice/binary");
    assert.equal(res.status, 200);
    const got = new Uint8Array(await res.arrayBuffer());
    assert.deepEqual(got, bytes);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    const hexDigest = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    assert.equal(res.headers.get("x-checksum-sha256"), hexDigest);
    assert.equal(res.headers.get("content-length"), String(bytes.length));
    const other = await f.app.request("/bootstrap/binary/linux/mips");
    await expectStatus(other, 404, "NotFound");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unknown paths are a 404 Status", async () => {
  const f = fixture();
  await expectStatus(await f.app.request("/nope"), 404, "NotFound");
});
