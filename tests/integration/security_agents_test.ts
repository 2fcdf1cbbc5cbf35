/**
 * Attacks on a live cell's agent side (real parent plane, the cell's servers as the operator
 * runs them, agents over real mTLS gRPC streams; loopback only): a deleted cluster's
 * certificate keeps no access, renewals are bounded, and SHA-1 CSRs are refused.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { Pkcs10CertificateRequestGenerator } from "@peculiar/x509";
import type { AgentClient, AgentClientEvent } from "../../lib/agent/mod.ts";
import { RevocationList, REVOCATIONS_CONFIGMAP } from "../../lib/cell/revocation.ts";
import { CONFIGMAP_REF } from "../../lib/kube/mod.ts";
import {
  BootstrapTokens,
  createCsr,
  generateKeyPair,
  SecretTokenBackend,
} from "../../lib/pki/mod.ts";
import { type CellEnv, grantProxy, startCellEnv } from "./_cell_env.ts";
import { until } from "../_until.ts";

function connected(env: CellEnv, name: string, want = true): Promise<true> {
  return until(
    `agent ${name} ${want ? "connected" : "disconnected"}`,
    () =>
      Promise.resolve(
        (env.cell.registry.get(name)?.connected ?? false) === want ? true : undefined,
      ),
    30_000,
  );
}

/** Collects the errors of `agent`'s refused connection attempts. */
function refusals(agent: AgentClient): string[] {
  const errors: string[] = [];
  agent.subscribe((event: AgentClientEvent) => {
    if (event.type === "disconnected" && event.error) errors.push(event.error);
  });
  return errors;
}

Deno.test("security: a live cell's agent server resists the attacks of issue #25", async (t) => {
  const env = await startCellEnv({
    child: false,
    limits: { admissionRecheckMs: 300 },
  });
  try {
    await t.step("a deleted cluster's certificate loses stream, route and renewal", async () => {
      await env.createCluster("doomed");
      const old = await env.credentials("doomed");
      const agent = env.agent("doomed", old);
      const errors = refusals(agent);
      await connected(env, "doomed");
      await grantProxy(env, "alice", "*");
      const alice = await env.token("alice");

      await env.deleteCluster("doomed");
      // The open stream is closed, and the certificate cannot connect again.
      await connected(env, "doomed", false);
      await until("a refused reconnection", () =>
        Promise.resolve(
          errors.some((e) => /revoked|no living LatticeCluster/.test(e)) ? true : undefined,
        ), 30_000);
      assert.equal(env.cell.registry.get("doomed")?.connected, false);
      await until("the proxy to stop routing to it", async () => {
        const res = await env.fetch("/clusters/doomed/version", alice);
        await res.body?.cancel();
        return res.status === 404 ? true : undefined;
      }, 30_000);

      // Re-created under the same name: the old certificate stays revoked for ever; a
      // certificate issued now (a new registration) connects.
      await env.createCluster("doomed");
      const seen = errors.length;
      await until("another refusal of the old certificate", () =>
        Promise.resolve(
          errors.slice(seen).some((e) => /revoked/.test(e)) ? true : undefined,
        ), 30_000);
      assert.equal(env.cell.registry.get("doomed")?.connected, false);
      await agent.stop();
      const fresh = await env.credentials("doomed");
      env.agent("doomed", fresh);
      await connected(env, "doomed");

      // The revocation is persisted: another replica (or a restart) reads the same answer.
      const map = await env.parentClient.get<{ data?: Record<string, string> }>(
        CONFIGMAP_REF,
        REVOCATIONS_CONFIGMAP.name,
        REVOCATIONS_CONFIGMAP.namespace,
      );
      assert.ok(map.data?.doomed, JSON.stringify(map.data));
      const replica = new RevocationList(env.parentClient);
      assert.equal(await replica.isRevoked("doomed", old.certPem), true);
      assert.equal(await replica.isRevoked("doomed", fresh.certPem), false);
    });

    await t.step("renewals: only near expiry, at most once an hour", async () => {
      await env.createCluster("early");
      const early = env.agent("early", await env.credentials("early"));
      await connected(env, "early");
      await assert.rejects(early.renewCertificate(), /not due: the certificate expires in 29 days/);

      await env.createCluster("late");
      // A 1-day certificate: the agent renews at once on connecting, as it should.
      const late = env.agent("late", await env.credentials("late", 1));
      await until(
        "the due renewal",
        () => Promise.resolve(late.credentials.certPem.length > 0 ? true : undefined),
      );
      await new Promise<void>((resolve) => {
        const off = late.subscribe((e) => {
          if (e.type === "renewed") {
            off();
            resolve();
          }
        });
      });
      // Past the first renewal's own promise (a call during it would join it).
      await new Promise((r) => setTimeout(r, 100));
      // The stream still carries the old (near-expiry) certificate: a second renewal at once
      // is refused, whatever it asks.
      await assert.rejects(late.renewCertificate(), /too frequent/);
    });

    await t.step("SHA-1 CSRs are refused by the bootstrap webhook", async () => {
      await env.createCluster("legacy");
      const tokens = new BootstrapTokens(new SecretTokenBackend(env.parentClient));
      const { token } = await tokens.issue("legacy");
      const { keys } = await generateKeyPair();
      const sha1 = await Pkcs10CertificateRequestGenerator.create({
        name: "CN=legacy",
        keys,
        signingAlgorithm: { name: "ECDSA", hash: "SHA-1" },
      });
      const register = (csr: string) =>
        env.fetch("/api/clusters/legacy/register", undefined, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ token, csr }),
        });
      const refused = await register(sha1.toString("pem"));
      const status = await refused.json();
      assert.equal(refused.status, 400, JSON.stringify(status));
      assert.match(status.message, /signed with ECDSA\/SHA-1/);
      // The token was not spent: the same join with a SHA-256 CSR succeeds.
      const accepted = await register(await createCsr(keys, { commonName: "legacy" }));
      const text = await accepted.text();
      assert.equal(accepted.status, 200, text);
    });
  } finally {
    await env.close();
  }
});
