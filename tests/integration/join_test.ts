/**
 * `lattice join` end to end on real control planes: a parent cell (its CA and bootstrap
 * tokens in Secrets, its LatticeClusters, the webhook over HTTPS) and a child cluster
 * that joins it.
 */
import assert from "node:assert/strict";
import { API_VERSION } from "../../lib/api/mod.ts";
import { AGENT_SECRET_NAME, NAMESPACE } from "../../lib/bundle/mod.ts";
import { createWebhookApp } from "../../lib/cell/webhook.ts";
import { clusterLookup } from "../../lib/cell/webhook_clusters.ts";
import { serveHttps } from "../../lib/cell/webhook_server.ts";
import { runCli } from "../../lib/cli/command.ts";
import { joinCommand } from "../../lib/cli/commands/join.ts";
import { RegisterError } from "../../lib/join/register.ts";
import { joinCluster } from "../../lib/join/join.ts";
import { isNotFound, KubeClient, type ResourceRef } from "../../lib/kube/mod.ts";
import {
  BootstrapTokens,
  caSecret,
  certificateIdentity,
  decodeBase64,
  issueServerCert,
  loadOrCreateCa,
  SECRET_REF,
  SecretTokenBackend,
  verifyCertificate,
} from "../../lib/pki/mod.ts";
import { installCrds, kubectl, startControlPlane } from "../../lib/sandbox/mod.ts";
import { validClusterDocument } from "../api/fixtures.ts";
import { LATTICE_CLUSTER_REF } from "../../lib/api/refs.ts";

const NO_WAIT = { attempts: 3, sleep: () => Promise.resolve() };

async function exists(client: KubeClient, ref: ResourceRef, name: string, ns?: string) {
  try {
    await client.get(ref, name, ns);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** resourceVersion of every object in lattice-system and of our cluster-scoped objects. */
async function snapshot(client: KubeClient): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const kinds: [string, string][] = [
    ["v1", "Namespace"],
    ["apiextensions.k8s.io/v1", "CustomResourceDefinition"],
    ["v1", "ServiceAccount"],
    ["v1", "Secret"],
    ["v1", "Service"],
    ["apps/v1", "Deployment"],
    ["rbac.authorization.k8s.io/v1", "ClusterRole"],
    ["rbac.authorization.k8s.io/v1", "ClusterRoleBinding"],
    ["rbac.authorization.k8s.io/v1", "Role"],
    ["lattice.dev/v1alpha1", "LatticeCluster"],
    ["cilium.io/v2", "CiliumLoadBalancerIPPool"],
  ];
  for (const [apiVersion, kind] of kinds) {
    const ref = await client.resourceFor(apiVersion, kind);
    const list = await client.list<{ metadata: { name: string; resourceVersion: string } }>(
      ref,
      { namespace: ref.namespaced ? NAMESPACE : undefined },
    );
    for (const item of list.items) {
      out[`${kind}/${item.metadata.name}`] = item.metadata.resourceVersion;
    }
  }
  return out;
}

const AGENT_PROBE = {
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: AGENT_SECRET_NAME, namespace: NAMESPACE },
};

/** Turns a real admission policy refusing the agent Secret on or off, and waits for it. */
async function denyAgentSecret(client: KubeClient, deny: boolean) {
  const group = "admissionregistration.k8s.io/v1";
  const policy = await client.resourceFor(group, "ValidatingAdmissionPolicy");
  const binding = await client.resourceFor(group, "ValidatingAdmissionPolicyBinding");
  if (deny) {
    await client.apply({
      apiVersion: group,
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: "deny-agent-secret" },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [{
            apiGroups: [""],
            apiVersions: ["v1"],
            operations: ["CREATE", "UPDATE"],
            resources: ["secrets"],
          }],
        },
        validations: [{ expression: `object.metadata.name != '${AGENT_SECRET_NAME}'` }],
      },
    });
    await client.apply({
      apiVersion: group,
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: "deny-agent-secret" },
      spec: { policyName: "deny-agent-secret", validationActions: ["Deny"] },
    });
  } else {
    await client.delete(binding, "deny-agent-secret");
    await client.delete(policy, "deny-agent-secret");
  }
  // Policies take effect asynchronously (real time, no clock to inject): probe with a dry
  // run until the answer flips.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const denied = await client.apply(AGENT_PROBE, { dryRun: true }).then(() => false, () => true);
    if (denied === deny) return;
    if (Date.now() > deadline) throw new Error(`Cannot toggle the admission policy to ${deny}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

Deno.test("lattice join against a real parent cell and child cluster", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lattice-join-test-" });
  const parentPlane = await startControlPlane({ name: "join-parent" });
  const childPlane = await startControlPlane({ name: "join-child" });
  const parent = KubeClient.fromKubeconfig(parentPlane.kubeconfig);
  const child = KubeClient.fromKubeconfig(childPlane.kubeconfig);
  const abort = new AbortController();
  let server: { finished: Promise<void> } | undefined;
  try {
    await t.step("manifests/ installs with kubectl apply --server-side", async () => {
      const manifests = new URL("../../manifests/", import.meta.url).pathname;
      const out = await kubectl(parentPlane, ["apply", "--server-side", "-f", manifests]);
      assert.match(out.stdout, /deployment.apps\/lattice-operator serverside-applied/);
    });
    await installCrds(parentPlane, { lattice: true });
    // The child runs Cilium: its LB-IPAM CRDs are there before the join.
    await installCrds(childPlane, { upstream: ["cilium-v1.19.4"] });

    const ca = await loadOrCreateCa(parent, { commonName: "lattice-ca-parent" });
    await t.step("the CA is created once and survives a restart", async () => {
      const again = await loadOrCreateCa(parent, { commonName: "other" });
      assert.deepEqual(again, ca);
      const stored = await parent.get<{ data: Record<string, string> }>(
        SECRET_REF,
        caSecret(ca).metadata!.name!,
        NAMESPACE,
      );
      assert.equal(decodeBase64(stored.data["tls.crt"]), ca.certPem);
    });

    const doc = validClusterDocument();
    doc.metadata.name = "east";
    await parent.create({ ...doc, apiVersion: API_VERSION });
    const tokens = new BootstrapTokens(new SecretTokenBackend(parent));
    const { token } = await tokens.issue("east");
    const serverCert = await issueServerCert(ca, { dnsNames: ["localhost"] });
    const app = createWebhookApp({
      ca,
      tokens,
      grpcEndpoint: "localhost:50051",
      clusters: clusterLookup(parent),
    });
    const listening = Promise.withResolvers<Deno.NetAddr>();
    server = serveHttps(app, {
      hostname: "127.0.0.1",
      port: 0,
      certPem: serverCert.certPem,
      keyPem: serverCert.keyPem,
      signal: abort.signal,
      onListen: listening.resolve,
    });
    const cellUrl = `https://localhost:${(await listening.promise).port}`;
    const keyFile = `${dir}/state/join-east.key`;
    const base = { cellUrl, cluster: "east", caPem: ca.certPem, keyFile, retry: NO_WAIT };

    await t.step("a refused join installs nothing and keeps the token", async () => {
      const error = await joinCluster(child, { ...base, token: "wrong" }).catch((e) => e);
      assert.ok(error instanceof RegisterError, String(error));
      assert.equal(error.status, 401);
      const namespaces = await child.resourceFor("v1", "Namespace");
      assert.equal(await exists(child, namespaces, NAMESPACE), false);
      const crds = await child.resourceFor("apiextensions.k8s.io/v1", "CustomResourceDefinition");
      assert.equal(await exists(child, crds, "latticeclusters.lattice.dev"), false);
      assert.equal((await tokens.inspect("east"))?.state, "issued");
    });

    await t.step("join installs the bundle", async () => {
      const result = await joinCluster(child, { ...base, token });
      assert.equal(result.outcome, "joined");
      assert.ok(result.applied > 10);
      const secret = await child.get<{ data: Record<string, string> }>(
        SECRET_REF,
        AGENT_SECRET_NAME,
        NAMESPACE,
      );
      const cert = decodeBase64(secret.data["tls.crt"]);
      assert.equal(certificateIdentity(cert), "east");
      assert.ok(await verifyCertificate(ca.certPem, cert));
      assert.match(decodeBase64(secret.data["tls.key"]), /BEGIN PRIVATE KEY/);
      assert.equal(decodeBase64(secret.data.endpoint), "localhost:50051");
      const dep = await child.get<{ spec: { replicas: number } }>(
        await child.resourceFor("apps/v1", "Deployment"),
        "lattice-operator",
        NAMESPACE,
      );
      assert.equal(dep.spec.replicas, 2);
      const own = await child.get<{ spec: unknown; status?: unknown }>(LATTICE_CLUSTER_REF, "east");
      assert.equal((own.spec as { cellRef: string }).cellRef, "us");
      const pools = await child.resourceFor("cilium.io/v2", "CiliumLoadBalancerIPPool");
      assert.ok(await exists(child, pools, "default"));
      // The token is used, and a cell restarting on the same Secrets knows it.
      const restarted = new BootstrapTokens(new SecretTokenBackend(parent));
      assert.equal((await restarted.inspect("east"))?.state, "used");
      // The kept key is gone: it lives in the agent Secret now.
      await assert.rejects(Deno.stat(keyFile), Deno.errors.NotFound);
    });

    await t.step("running it again (the CLI) changes nothing", async () => {
      const before = await snapshot(child);
      await Deno.writeTextFile(`${dir}/token`, token);
      await Deno.writeTextFile(`${dir}/ca.crt`, ca.certPem);
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(joinCommand, [
        "--cell",
        cellUrl,
        "--cluster",
        "east",
        "--token-file",
        `${dir}/token`,
        "--ca-file",
        `${dir}/ca.crt`,
        "--kubeconfig",
        childPlane.kubeconfigPath,
        "--state-dir",
        `${dir}/state`,
      ], { stdout: (s) => out.push(s), stderr: (s) => err.push(s), env: {}, cwd: dir });
      assert.equal(code, 0, err.join("\n"));
      assert.match(out.join("\n"), /Cluster east is already joined .*nothing to do/);
      assert.deepEqual(await snapshot(child), before);
    });

    await t.step("the CLI explains a refused join", async () => {
      await child.delete(SECRET_REF, AGENT_SECRET_NAME, NAMESPACE);
      await Deno.writeTextFile(`${dir}/bad-token`, "nope");
      const err: string[] = [];
      const code = await runCli(joinCommand, [
        "--cell",
        cellUrl,
        "--cluster",
        "east",
        "--token-file",
        `${dir}/bad-token`,
        "--ca-file",
        `${dir}/ca.crt`,
        "--kubeconfig",
        childPlane.kubeconfigPath,
        "--state-dir",
        `${dir}/state`,
      ], { stdout: () => {}, stderr: (s) => err.push(s), env: {}, cwd: dir });
      assert.equal(code, 1);
      assert.match(err.join("\n"), /not valid for this cluster[\s\S]*What to do: ask the parent/);
    });

    await t.step("an interrupted join resumes with its kept key and the same token", async () => {
      // A new token for east (as after a disaster); the agent Secret is gone (step above).
      const fresh = (await tokens.issue("east")).token;
      // Make the last apply (the agent Secret) fail after the cell accepted the join.
      await denyAgentSecret(child, true);
      const failed = await joinCluster(child, { ...base, token: fresh }).catch((e) => e);
      assert.ok(
        failed instanceof Error && /Cannot apply Secret/.test(failed.message),
        String(failed),
      );
      assert.equal((await tokens.inspect("east"))?.state, "used");
      const kept = await Deno.readTextFile(keyFile);
      await denyAgentSecret(child, false);
      const result = await joinCluster(child, { ...base, token: fresh });
      assert.equal(result.outcome, "joined");
      const secret = await child.get<{ data: Record<string, string> }>(
        SECRET_REF,
        AGENT_SECRET_NAME,
        NAMESPACE,
      );
      assert.equal(decodeBase64(secret.data["tls.key"]), kept);
    });

    await t.step("two cell replicas racing for one token on real Secrets: one wins", async () => {
      const { token: raced } = await tokens.issue("race");
      const replicas = [0, 1, 2].map(() => new BootstrapTokens(new SecretTokenBackend(parent)));
      const results = await Promise.all(replicas.map((r) => r.lease("race", raced, "k")));
      assert.equal(results.filter((r) => r.ok).length, 1, JSON.stringify(results));
      const winner = results.find((r) => r.ok);
      assert.ok(winner?.ok);
      await replicas[0].commit(winner.lease);
      assert.equal((await tokens.inspect("race"))?.state, "used");
      await tokens.revoke("race");
      assert.equal(await tokens.inspect("race"), undefined);
    });

    await t.step("replicas racing to create the CA end up with one", async () => {
      const options = { secretName: "race-ca" };
      const [a, b] = await Promise.all([
        loadOrCreateCa(parent, options),
        loadOrCreateCa(parent, options),
      ]);
      assert.deepEqual(a, b);
    });
  } finally {
    abort.abort();
    await server?.finished;
    parent.close();
    child.close();
    await Promise.all([parentPlane.stop(), childPlane.stop()]);
    await Deno.remove(dir, { recursive: true });
  }
});
